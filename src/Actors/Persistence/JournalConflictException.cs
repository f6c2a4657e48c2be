namespace Actors.Persistence;

/// <summary>
/// An append used a sequence number that is already taken for its persistence id: another
/// writer (a second coordinator, a second incarnation of the actor) got there first. This is the
/// journal's optimistic-concurrency fence; nothing of the rejected batch was written. The writer
/// that gets it must stop writing: its view of the stream is stale.
/// </summary>
public sealed class JournalConflictException : Exception
{
    public JournalConflictException(PersistenceId persistenceId, long sequenceNr, Exception? innerException = null)
        : base($"Sequence number {sequenceNr} of persistence id '{persistenceId}' is already taken: another writer appended to this stream first.", innerException)
    {
        PersistenceId = persistenceId;
        SequenceNr = sequenceNr;
    }

    public PersistenceId PersistenceId { get; }

    /// <summary>The first sequence number of the rejected batch found taken.</summary>
    public long SequenceNr { get; }
}
