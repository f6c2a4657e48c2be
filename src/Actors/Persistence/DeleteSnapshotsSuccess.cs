namespace Actors.Persistence;

/// <summary>Sent to a persistent actor once its snapshots up to <paramref name="MaxSequenceNr"/> are deleted.</summary>
public sealed record DeleteSnapshotsSuccess(long MaxSequenceNr);
