namespace Actors.Persistence;

/// <summary>
/// Given to the recovery handlers first when a snapshot exists: restore the state from
/// <paramref name="Snapshot"/>; the events after <see cref="SnapshotMetadata.SequenceNr"/> follow.
/// An actor with no handler for it is recovered from its events alone.
/// </summary>
public sealed record SnapshotOffer(SnapshotMetadata Metadata, object Snapshot);
