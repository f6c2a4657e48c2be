namespace Actors.Persistence;

/// <summary>Sent to a persistent actor when deleting its events up to <paramref name="ToSequenceNr"/> failed.</summary>
public sealed record DeleteMessagesFailure(Exception Cause, long ToSequenceNr);
