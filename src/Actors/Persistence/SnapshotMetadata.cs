namespace Actors.Persistence;

/// <summary>Which stream a snapshot belongs to, the last event it contains, and when it was taken (UTC).</summary>
public sealed record SnapshotMetadata(string PersistenceId, long SequenceNr, DateTime Timestamp);
