using Actors.Cell;
using Actors.Core;
using Actors.Serialization;

namespace Actors.Persistence;

public abstract partial class PersistentActor
{
    /// <summary>
    /// Persists <paramref name="event"/>; once it is stored, <paramref name="handler"/> runs on the
    /// actor with the command's sender, and only then does the next command come in. Events
    /// persisted in one command (and in the handlers of its events) are written as one batch.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called outside a command or persist handler, or
    /// the event's type has no stable manifest.</exception>
    protected void Persist<T>(T @event, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(handler);
        EnsureCanPersist();
        var serialized = _serialization!.Serialize(@event);
        _pending.Add(new PendingEvent(@event, handler, Invoker<T>.Instance, serialized.Manifest, serialized.Payload));
    }

    /// <summary>Persists <paramref name="events"/> atomically, in order; <paramref name="handler"/> runs for each once all are stored.</summary>
    protected void PersistAll<T>(IEnumerable<T> events, Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(handler);
        EnsureCanPersist();
        var serialization = _serialization!;
        var batch = new List<PendingEvent>();
        foreach (var @event in events)
        {
            ArgumentNullException.ThrowIfNull(@event, nameof(events));
            var serialized = serialization.Serialize(@event);
            batch.Add(new PendingEvent(@event, handler, Invoker<T>.Instance, serialized.Manifest, serialized.Payload));
        }
        // Serialized all first: an event without a manifest leaves none of them pending.
        _pending.AddRange(batch);
    }

    /// <summary>
    /// Saves <paramref name="snapshot"/> as the state after <see cref="LastSequenceNr"/>. The state
    /// is serialized now, on the actor; the write runs in the background and ends with
    /// <see cref="SaveSnapshotSuccess"/> or <see cref="SaveSnapshotFailure"/> sent to this actor.
    /// </summary>
    protected void SaveSnapshot(object snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        EnsureRecovered(nameof(SaveSnapshot));
        var serialized = _serialization!.Serialize(snapshot);
        var created = Context.System.Scheduler.Now.UtcDateTime;
        var metadata = new SnapshotMetadata(PersistenceId, _lastSequenceNr, created);
        var entry = new SnapshotEntry(_id, _lastSequenceNr, created, serialized.Manifest, serialized.Payload);
        _snapshotSequenceNr = _lastSequenceNr;
        var store = _persistence!.SnapshotStore;
        var self = Self;
        var log = Context.GetLogger();
        _ = Task.Run(async () =>
        {
            try
            {
                await store.SaveAsync(entry).ConfigureAwait(false);
                self.Tell(new SaveSnapshotSuccess(metadata), self);
            }
            catch (Exception e)
            {
                PersistenceLog.SnapshotSaveFailed(log, metadata.PersistenceId, metadata.SequenceNr, e);
                self.Tell(new SaveSnapshotFailure(metadata, e), self);
            }
        });
    }

    /// <summary>
    /// Deletes the stored events up to <paramref name="toSequenceNr"/> (at most
    /// <see cref="LastSequenceNr"/>), in the background; ends with <see cref="DeleteMessagesSuccess"/>
    /// or <see cref="DeleteMessagesFailure"/> sent to this actor. Recovery then starts from a
    /// snapshot: save one that covers them first.
    /// </summary>
    protected void DeleteMessages(long toSequenceNr)
    {
        EnsureRecovered(nameof(DeleteMessages));
        var self = Self;
        if (toSequenceNr < 0 || toSequenceNr > _lastSequenceNr)
        {
            self.Tell(new DeleteMessagesFailure(
                new ArgumentOutOfRangeException(nameof(toSequenceNr), toSequenceNr, $"'{PersistenceId}' can delete events up to its last sequence number {_lastSequenceNr}."),
                toSequenceNr), self);
            return;
        }
        var journal = _persistence!.Journal;
        var id = _id;
        _ = Task.Run(async () =>
        {
            try
            {
                await journal.DeleteToAsync(id, toSequenceNr).ConfigureAwait(false);
                self.Tell(new DeleteMessagesSuccess(toSequenceNr), self);
            }
            catch (Exception e)
            {
                self.Tell(new DeleteMessagesFailure(e, toSequenceNr), self);
            }
        });
    }

    /// <summary>
    /// Deletes the stored snapshots up to <paramref name="maxSequenceNr"/> in the background; ends
    /// with <see cref="DeleteSnapshotsSuccess"/> or <see cref="DeleteSnapshotsFailure"/> sent to this actor.
    /// </summary>
    protected void DeleteSnapshots(long maxSequenceNr)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequenceNr);
        EnsureRecovered(nameof(DeleteSnapshots));
        var store = _persistence!.SnapshotStore;
        var id = _id;
        var self = Self;
        _ = Task.Run(async () =>
        {
            try
            {
                await store.DeleteAsync(id, maxSequenceNr).ConfigureAwait(false);
                self.Tell(new DeleteSnapshotsSuccess(maxSequenceNr), self);
            }
            catch (Exception e)
            {
                self.Tell(new DeleteSnapshotsFailure(e, maxSequenceNr), self);
            }
        });
    }

    private void EnsureCanPersist()
    {
        if (_recovering)
        {
            throw new InvalidOperationException($"Persistent actor '{PersistenceId}' cannot persist while it recovers.");
        }
        if (_commandDepth == 0 && _persistHandlerDepth == 0)
        {
            throw new InvalidOperationException($"Persistent actor '{PersistenceId}' can persist only in a command handler or in the handler of a persisted event.");
        }
    }

    private void EnsureRecovered(string operation)
    {
        if (_recovering || _persistence is null)
        {
            throw new InvalidOperationException($"Persistent actor '{PersistenceId}' cannot {operation} before its recovery completed.");
        }
    }

    /// <summary>An async command handler, then the flush of what it persisted. Runs under <c>RunTask</c>.</summary>
    private async Task RunAsyncCommand<T>(Func<T, Task> action, T command)
    {
        _commandDepth++;
        try
        {
            await action(command);
        }
        finally
        {
            _commandDepth--;
            _asyncCommandRunning = false;
        }
        if (_pending.Count > 0 && IsCurrentIncarnation)
        {
            await FlushAsync();
        }
    }

    /// <summary>
    /// Writes the pending events as one batch, then runs their handlers in order; repeats while
    /// those handlers persisted more. Runs on the actor under <c>RunTask</c>, so no command comes
    /// in before it completes. With SQLite the append completes synchronously and so does this.
    /// </summary>
    private async Task FlushAsync()
    {
        var journal = _persistence!.Journal;
        while (_pending.Count > 0)
        {
            var batch = _pending;
            _pending = _spare;
            _spare = batch;
            var first = _lastSequenceNr + 1;
            var writes = new JournalWrite[batch.Count];
            for (var i = 0; i < writes.Length; i++)
            {
                var pending = batch[i];
                writes[i] = new JournalWrite(first + i, pending.Manifest, pending.Payload, TagsFor(pending.Event));
            }
            Exception? failure = null;
            try
            {
                await journal.AppendAsync(_id, writes);
            }
            catch (Exception e)
            {
                failure = e;
            }
            if (!IsCurrentIncarnation)
            {
                // A restart replaced this instance while the batch was written; the new one recovers it.
                return;
            }
            if (failure is not null)
            {
                var @event = batch[0].Event;
                batch.Clear();
                _pending.Clear();
                try
                {
                    OnPersistFailure(failure, @event, first);
                }
                finally
                {
                    Context.Stop(Self);
                }
                return;
            }
            _persistHandlerDepth++;
            try
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    _lastSequenceNr = first + i;
                    var pending = batch[i];
                    pending.Invoke(pending.Handler, pending.Event);
                }
            }
            finally
            {
                _persistHandlerDepth--;
                batch.Clear();
            }
            SnapshotIfDue();
        }
    }

    private void SnapshotIfDue()
    {
        var interval = SnapshotInterval;
        if (interval > 0 && _lastSequenceNr - _snapshotSequenceNr >= interval && GetSnapshotState() is { } state)
        {
            SaveSnapshot(state);
        }
    }

    /// <summary>An event waiting for its append, with its serialized form and its typed handler.</summary>
    private readonly record struct PendingEvent(object Event, Delegate Handler, Action<Delegate, object> Invoke, string Manifest, ReadOnlyMemory<byte> Payload);

    /// <summary>Calls an <c>Action&lt;T&gt;</c> stored as a <see cref="Delegate"/> without a closure per event.</summary>
    private static class Invoker<T>
    {
        public static readonly Action<Delegate, object> Instance = static (handler, @event) => ((Action<T>)handler)((T)@event);
    }
}
