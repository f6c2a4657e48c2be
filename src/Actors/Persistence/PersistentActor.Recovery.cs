using Actors.Cell;
using Actors.Core;
using Actors.Serialization;

namespace Actors.Persistence;

public abstract partial class PersistentActor
{
    /// <summary>
    /// Starts recovery after the user's PreStart (or PostRestart). It runs under <c>RunTask</c>,
    /// so user messages stay in the mailbox until it ends; system messages (a stop) still come
    /// through between chunks.
    /// </summary>
    private void StartRecovery()
    {
        var cell = ActorCell.Current ?? throw new InvalidOperationException("Recovery starts inside the actor.");
        _persistence = Persistence.Get(cell.System);
        _serialization = cell.System.Serialization;
        _id = new PersistenceId(PersistenceId);
        _persistence.RegisterManifests(GetType());
        cell.RunTask(RecoverAsync);
    }

    private async Task RecoverAsync()
    {
        var persistence = _persistence!;
        var journal = persistence.Journal;
        object? replaying = null;
        long replayed = 0;
        Task<List<JournalEntry>>? next = null;
        try
        {
            var from = await OfferSnapshotAsync(persistence.SnapshotStore) + 1;
            if (!IsCurrentIncarnation)
            {
                return;
            }
            // Pipelined: the next chunk is read on the thread pool while the actor deserializes
            // and applies this one, so the journal's I/O and the actor's work overlap.
            next = ReadChunkInBackground(journal, _id, from);
            while (next is not null)
            {
                var chunk = await next;
                if (!IsCurrentIncarnation)
                {
                    return;
                }
                next = chunk.Count == ReplayChunkSize ? ReadChunkInBackground(journal, _id, chunk[^1].SequenceNr + 1) : null;
                foreach (var entry in chunk)
                {
                    replaying = null;
                    var @event = Deserialize(entry);
                    replaying = @event;
                    _lastSequenceNr = entry.SequenceNr;
                    if (!TryHandle(_recoverHandlers, @event))
                    {
                        Unhandled(@event);
                    }
                }
                replaying = null;
                replayed += chunk.Count;
                if (next is { IsCompleted: true })
                {
                    // Between chunks, let the mailbox run system messages (a stop, a watch); when
                    // the next chunk is still being read, awaiting it below does that already.
                    await Task.Yield();
                    if (!IsCurrentIncarnation)
                    {
                        return;
                    }
                }
            }
            // Deleted events are not replayed, but their sequence numbers stay taken.
            var highest = await journal.ReadHighestSequenceNrAsync(_id);
            if (!IsCurrentIncarnation)
            {
                return;
            }
            _lastSequenceNr = Math.Max(_lastSequenceNr, highest);
            _recovering = false;
            PersistenceLog.Recovered(Context.GetLogger(), Self.Path.ToString(), PersistenceId, _lastSequenceNr, _snapshotSequenceNr, replayed);
            TryHandle(_recoverHandlers, RecoveryCompleted.Instance);
        }
        catch (Exception cause)
        {
            if (next is { IsCompleted: false })
            {
                // Nobody awaits the prefetch any more: observe its failure, if it fails.
                _ = next.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            if (!IsCurrentIncarnation)
            {
                return;
            }
            _recovering = true;
            try
            {
                OnRecoveryFailure(cause, replaying);
            }
            finally
            {
                Context.Stop(Self);
            }
        }
    }

    /// <summary>Offers the latest snapshot to the recovery handlers; returns the sequence number replay continues after.</summary>
    private async Task<long> OfferSnapshotAsync(ISnapshotStore store)
    {
        var snapshot = await store.LoadAsync(_id);
        if (snapshot is null || !IsCurrentIncarnation)
        {
            return 0;
        }
        object state;
        try
        {
            state = _serialization!.Deserialize(new SerializedMessage(snapshot.Manifest, snapshot.Payload));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"The snapshot of '{_id}' at {snapshot.SequenceNr} (manifest '{snapshot.Manifest}') cannot be deserialized.", e);
        }
        var offer = new SnapshotOffer(new SnapshotMetadata(PersistenceId, snapshot.SequenceNr, snapshot.Created), state);
        if (!TryHandle(_recoverHandlers, offer))
        {
            PersistenceLog.SnapshotIgnored(Context.GetLogger(), Self.Path.ToString(), PersistenceId);
            return 0;
        }
        _lastSequenceNr = snapshot.SequenceNr;
        _snapshotSequenceNr = snapshot.SequenceNr;
        return snapshot.SequenceNr;
    }

    /// <summary>
    /// Reads up to <see cref="ReplayChunkSize"/> events from <paramref name="from"/> on, on the
    /// thread pool. The read completes (and closes its connection) on its own: if the actor stops
    /// meanwhile, nothing is left open.
    /// </summary>
    private static Task<List<JournalEntry>> ReadChunkInBackground(IJournal journal, PersistenceId id, long from) =>
        Task.Run(async () =>
        {
            var entries = new List<JournalEntry>(ReplayChunkSize);
            await foreach (var entry in journal.ReplayAsync(id, from, long.MaxValue, ReplayChunkSize).ConfigureAwait(false))
            {
                entries.Add(entry);
            }
            return entries;
        });

    private object Deserialize(JournalEntry entry)
    {
        try
        {
            return _serialization!.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"Event {entry.SequenceNr} of '{_id}' (manifest '{entry.Manifest}') cannot be deserialized.", e);
        }
    }
}
