namespace Actors.Persistence;

/// <summary>Sent to a persistent actor when storing a snapshot failed; recovery then uses an older one or the events.</summary>
public sealed record SaveSnapshotFailure(SnapshotMetadata Metadata, Exception Cause);
