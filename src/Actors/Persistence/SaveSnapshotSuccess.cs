namespace Actors.Persistence;

/// <summary>Sent to a persistent actor once a snapshot it saved is stored.</summary>
public sealed record SaveSnapshotSuccess(SnapshotMetadata Metadata);
