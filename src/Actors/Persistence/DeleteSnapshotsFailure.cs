namespace Actors.Persistence;

/// <summary>Sent to a persistent actor when deleting its snapshots up to <paramref name="MaxSequenceNr"/> failed.</summary>
public sealed record DeleteSnapshotsFailure(Exception Cause, long MaxSequenceNr);
