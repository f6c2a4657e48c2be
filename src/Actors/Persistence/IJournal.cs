namespace Actors.Persistence;

/// <summary>
/// The event journal: one append-only stream of events per <see cref="PersistenceId"/>, each
/// event at a sequence number unique in its stream, plus a global <c>ordering</c> across all
/// streams for projections. Shaped like Akka.Persistence.Sql's table
/// <c>journal(ordering, persistence_id, sequence_nr, created, manifest, payload, tags)</c>,
/// unique on <c>(persistence_id, sequence_nr)</c>.
/// </summary>
/// <remarks>
/// <para><b>Concurrency.</b> Implementations are safe to call from any number of threads and
/// actors at once. Calls for different streams are independent. Two appends to the same stream
/// are not ordered by the journal: the sequence numbers decide, and the loser of a race for a
/// sequence number gets <see cref="JournalConflictException"/>. That exception is the only
/// signal of an optimistic-concurrency conflict; every other exception is a storage failure
/// (I/O, connection, timeout) after which the caller cannot know whether the batch was written
/// and must recover (replay) before writing again.</para>
/// <para><b>Buffers.</b> <see cref="AppendAsync"/> reads the callers' payloads only until its task
/// completes and keeps no reference to them; the caller must not change them before that and
/// owns them afterwards. Every <see cref="JournalEntry"/> a read yields owns a fresh payload
/// array that the caller may keep or change.</para>
/// <para><b>Reads.</b> The <see cref="IAsyncEnumerable{T}"/> reads hold a database connection
/// (and, on SQLite, a read snapshot) until enumeration ends; enumerate them to the end or dispose
/// the enumerator. They see the appends committed before the read started.</para>
/// <para><b>Lifetime.</b> The creator of a journal owns it and disposes it; disposing while calls
/// are in flight makes them fail.</para>
/// </remarks>
public interface IJournal : IAsyncDisposable
{
    /// <summary>
    /// Appends <paramref name="events"/> to the stream of <paramref name="persistenceId"/>, all or
    /// none, in one transaction. The task completes once the batch is durable (committed).
    /// </summary>
    /// <param name="persistenceId">The stream to append to.</param>
    /// <param name="events">At least one event; sequence numbers positive and strictly increasing.
    /// The journal does not require them to follow the stream's highest without a gap: the
    /// caller (a persistent actor) guarantees that.</param>
    /// <param name="cancellationToken">Cancels waiting for the connection or the write lock; once the
    /// batch is sent, the outcome is the database's.</param>
    /// <exception cref="JournalConflictException">A sequence number of the batch is already taken;
    /// nothing of the batch was written.</exception>
    /// <exception cref="ArgumentException">The batch is empty, its sequence numbers are not
    /// positive and increasing, a manifest is empty or a tag is empty or contains ';'.</exception>
    Task AppendAsync(PersistenceId persistenceId, IReadOnlyList<JournalWrite> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// The events of one stream with <paramref name="fromSequenceNr"/> ≤ sequence number ≤
    /// <paramref name="toSequenceNr"/>, in sequence-number order, at most <paramref name="max"/>
    /// of them. Events removed by <see cref="DeleteToAsync"/> are not returned.
    /// </summary>
    IAsyncEnumerable<JournalEntry> ReplayAsync(PersistenceId persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>
    /// The highest sequence number ever appended to the stream (also when
    /// <see cref="DeleteToAsync"/> removed its events), or 0 for a stream never written.
    /// </summary>
    Task<long> ReadHighestSequenceNrAsync(PersistenceId persistenceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the events of the stream up to and including <paramref name="toSequenceNr"/>
    /// (replay no longer returns them). Logical for the highest one: its row stays, marked
    /// deleted, so <see cref="ReadHighestSequenceNrAsync"/> keeps answering and its sequence
    /// number stays taken (the fence holds after a delete). Idempotent.
    /// </summary>
    Task DeleteToAsync(PersistenceId persistenceId, long toSequenceNr, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every stored, not deleted event of every stream with ordering &gt; <paramref name="fromOrdering"/>
    /// (an offset: pass the last ordering seen, 0 at first), in ordering order, at most
    /// <paramref name="max"/>. For projections.
    /// </summary>
    /// <remarks>On PostgreSQL concurrent appends may commit out of ordering order: a read of the
    /// tail can miss an event that commits a moment later with a lower ordering. A projection
    /// that must see everything re-reads a window behind its offset.</remarks>
    IAsyncEnumerable<JournalEntry> ReadAllAsync(long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="ReadAllAsync"/>, only the events tagged <paramref name="tag"/>.</summary>
    IAsyncEnumerable<JournalEntry> ReadByTagAsync(string tag, long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default);
}
