namespace Actors.Persistence;

/// <summary>Sent to a persistent actor once its events up to <paramref name="ToSequenceNr"/> are deleted.</summary>
public sealed record DeleteMessagesSuccess(long ToSequenceNr);
