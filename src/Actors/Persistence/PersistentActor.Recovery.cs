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
        object? replaying = null;
        long replayed = 0;
        try
        {
            var from = await OfferSnapshotAsync(persistence.SnapshotStore) + 1;
            if (!IsCurrentIncarnation)
            {
                return;
            }
            while (true)
            {
                var chunk = await ReadChunkAsync(persistence.Journal, _serialization!, _id, from);
                if (!IsCurrentIncarnation)
                {
                    return;
                }
                foreach (var (sequenceNr, @event) in chunk)
                {
                    replaying = @event;
                    _lastSequenceNr = sequenceNr;
                    if (!TryHandle(_recoverHandlers, @event))
                    {
                        Unhandled(@event);
                    }
                }
                replaying = null;
                replayed += chunk.Count;
                if (chunk.Count < ReplayChunkSize)
                {
                    break;
                }
                from = _lastSequenceNr + 1;
                // Between chunks, let the mailbox run system messages (a stop, a watch).
                await Task.Yield();
                if (!IsCurrentIncarnation)
                {
                    return;
                }
            }
            // Deleted events are not replayed, but their sequence numbers stay taken.
            var highest = await persistence.Journal.ReadHighestSequenceNrAsync(_id);
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
    /// Reads and deserializes up to <see cref="ReplayChunkSize"/> events from
    /// <paramref name="from"/> on. It completes the read (and closes the connection) on its own,
    /// off the actor's context: if the actor stops meanwhile, nothing is left open.
    /// </summary>
    private static async Task<List<(long SequenceNr, object Event)>> ReadChunkAsync(
        IJournal journal, SerializerRegistry serialization, PersistenceId id, long from)
    {
        var events = new List<(long, object)>();
        await foreach (var entry in journal.ReplayAsync(id, from, long.MaxValue, ReplayChunkSize).ConfigureAwait(false))
        {
            object @event;
            try
            {
                @event = serialization.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload));
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    $"Event {entry.SequenceNr} of '{id}' (manifest '{entry.Manifest}') cannot be deserialized.", e);
            }
            events.Add((entry.SequenceNr, @event));
        }
        return events;
    }
}
