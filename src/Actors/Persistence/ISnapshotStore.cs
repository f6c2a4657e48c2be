namespace Actors.Persistence;

/// <summary>
/// Snapshots of persistent actors' state, so recovery replays only the events after the latest
/// one. Table <c>snapshot(persistence_id, sequence_nr, created, manifest, payload)</c>, primary key
/// <c>(persistence_id, sequence_nr)</c>.
/// </summary>
/// <remarks>
/// Safe to call from any number of threads at once. Saving at a sequence number that already has
/// a snapshot replaces it (a snapshot is a cache of the events, not a fact: the last writer
/// wins). Buffer ownership as in <see cref="IJournal"/>: <see cref="SaveAsync"/> reads the payload
/// only until its task completes; a loaded entry's payload is the caller's. The creator owns the
/// store and disposes it. Failures are storage failures; a failed load means "recover without a
/// snapshot" is unsafe to assume, so recovery fails.
/// </remarks>
public interface ISnapshotStore : IAsyncDisposable
{
    /// <summary>Stores <paramref name="snapshot"/> durably; replaces one at the same sequence number.</summary>
    Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default);

    /// <summary>The snapshot of the stream with the highest sequence number ≤ <paramref name="maxSequenceNr"/>, or null.</summary>
    Task<SnapshotEntry?> LoadAsync(PersistenceId persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stream's snapshots with sequence number ≤ <paramref name="maxSequenceNr"/>.</summary>
    Task DeleteAsync(PersistenceId persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default);
}
