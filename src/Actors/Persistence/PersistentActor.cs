using System.Collections.Immutable;
using System.Diagnostics;
using Actors.Cell;
using Actors.Core;
using Actors.Serialization;

namespace Actors.Persistence;

/// <summary>
/// An event-sourced actor with Akka's shape. Its state is rebuilt at start (and at every
/// restart) from the latest snapshot and the events stored after it; commands change it only by
/// persisting events.
/// </summary>
/// <remarks>
/// <para><b>Recovery.</b> Register <see cref="Recover{T}"/> handlers in the constructor: they get a
/// <see cref="SnapshotOffer"/> when a snapshot exists, then every stored event in order, then
/// <see cref="RecoveryCompleted"/>. Commands that arrive meanwhile are held back (the mailbox keeps
/// them, as during a <c>ReceiveAsync</c>) and processed afterwards, in arrival order. A failed
/// recovery calls <see cref="OnRecoveryFailure"/> and stops the actor.</para>
/// <para><b>Commands and events.</b> <see cref="Command{T}(Action{T})"/> handlers call
/// <see cref="Persist{T}"/> / <see cref="PersistAll{T}"/>. The events persisted while one command
/// is handled are appended as one atomic batch when the handler returns; later commands wait
/// until the batch is stored and each event's handler ran, on the actor, with
/// <see cref="ActorBase.Sender"/> still the command's sender. A failed append (a storage failure,
/// or <see cref="JournalConflictException"/>: another writer owns the stream) calls
/// <see cref="OnPersistFailure"/> and stops the actor, since it can no longer know what is
/// stored.</para>
/// <para><b>Events</b> and snapshots are serialized with <c>system.Serialization</c> under their stable
/// manifest (<see cref="ManifestAttribute"/>); the actor's assembly is registered before recovery.
/// The journal is <see cref="Persistence.Get"/>'s.</para>
/// </remarks>
public abstract partial class PersistentActor : ActorBase
{
    /// <summary>How many events recovery reads (and deserializes) per journal query.</summary>
    internal const int ReplayChunkSize = 8192;

    private Handler[] _recoverHandlers = [];
    private Handler[] _commandHandlers = [];
    private Handler[]? _building;
    private Persistence? _persistence;
    private SerializerRegistry? _serialization;
    private PersistenceId _id;
    private List<PendingEvent> _pending = [];
    private List<PendingEvent> _spare = [];
    private Func<Task>? _flush;
    private bool _recovering = true;
    private bool _asyncCommandRunning;
    private int _commandDepth;
    private int _persistHandlerDepth;
    private long _lastSequenceNr;
    private long _snapshotSequenceNr;

    /// <summary>The id of this actor's event stream; must stay the same across incarnations.</summary>
    public abstract string PersistenceId { get; }

    /// <summary>
    /// The sequence number of the last event applied: during recovery the event being replayed,
    /// in a persist handler that handler's event, otherwise the highest stored.
    /// </summary>
    public long LastSequenceNr => _lastSequenceNr;

    /// <summary>The sequence number of the latest snapshot recovered or saved (0 for none).</summary>
    public long SnapshotSequenceNr => _snapshotSequenceNr;

    /// <summary>True until <see cref="RecoveryCompleted"/> was handled.</summary>
    public bool IsRecovering => _recovering;

    /// <summary>
    /// Events between two automatic snapshots (<c>actors.persistence.snapshot-every</c>; 0: none).
    /// Automatic snapshots are taken only from actors that override <see cref="GetSnapshotState"/>.
    /// </summary>
    protected int SnapshotInterval => _persistence?.Settings.SnapshotEvery ?? 0;

    /// <summary>Handles a recovered <typeparamref name="T"/> (event, <see cref="SnapshotOffer"/> or <see cref="RecoveryCompleted"/>).</summary>
    protected void Recover<T>(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _recoverHandlers = [.. _recoverHandlers, new SyncHandler<T>(null, handler)];
    }

    /// <summary>Handles every command of type <typeparamref name="T"/>.</summary>
    protected void Command<T>(Action<T> handler) => AddCommand(new SyncHandler<T>(null, handler ?? throw new ArgumentNullException(nameof(handler))));

    /// <summary>Handles the commands of type <typeparamref name="T"/> that satisfy <paramref name="shouldHandle"/>.</summary>
    protected void Command<T>(Predicate<T> shouldHandle, Action<T> handler) =>
        AddCommand(new SyncHandler<T>(shouldHandle ?? throw new ArgumentNullException(nameof(shouldHandle)), handler ?? throw new ArgumentNullException(nameof(handler))));

    /// <summary>
    /// Handles a <typeparamref name="T"/> asynchronously: later commands wait until the task
    /// completes and the events it persisted are stored and handled; code after each
    /// <c>await</c> runs on the actor.
    /// </summary>
    protected void CommandAsync<T>(Func<T, Task> handler) => AddCommand(new AsyncHandler<T>(this, handler ?? throw new ArgumentNullException(nameof(handler))));

    /// <summary>Handles whatever no earlier command handler took.</summary>
    protected void CommandAny(Action<object> handler) => AddCommand(new SyncHandler<object>(null, handler ?? throw new ArgumentNullException(nameof(handler))));

    /// <summary>Replaces the command handlers with those <paramref name="configure"/> registers (recovery handlers stay).</summary>
    protected void Become(Action configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = _building;
        _building = [];
        try
        {
            configure();
            _commandHandlers = _building;
        }
        finally
        {
            _building = previous;
        }
    }

    /// <summary>
    /// The tags stored with <paramref name="event"/> (for <see cref="IJournal.ReadByTagAsync"/>):
    /// none by default. Runs on the actor when the event is written.
    /// </summary>
    protected virtual ImmutableArray<string> TagsFor(object @event) => [];

    /// <summary>
    /// The state to snapshot automatically every <see cref="SnapshotInterval"/> events, or null
    /// (the default) for no automatic snapshots. Runs on the actor.
    /// </summary>
    protected virtual object? GetSnapshotState() => null;

    /// <summary>
    /// Called when an append failed; the actor stops right after. By default logs the error
    /// (with the journal's exception, e.g. <see cref="JournalConflictException"/>).
    /// </summary>
    protected virtual void OnPersistFailure(Exception cause, object @event, long sequenceNr) =>
        PersistenceLog.PersistFailed(Context.GetLogger(), Self.Path.ToString(), sequenceNr, @event.GetType().Name, PersistenceId, cause);

    /// <summary>
    /// Called when recovery failed (storage, deserialization or a recovery handler threw); the
    /// actor stops right after. <paramref name="event"/> is the event being replayed, if any.
    /// By default logs the error.
    /// </summary>
    protected virtual void OnRecoveryFailure(Exception cause, object? @event) =>
        PersistenceLog.RecoveryFailed(Context.GetLogger(), Self.Path.ToString(), PersistenceId, _lastSequenceNr, cause);

    protected sealed override bool Receive(object message)
    {
        Debug.Assert(!_recovering, "Commands are held back during recovery: the recovery task keeps user messages in the mailbox.");
        _commandDepth++;
        bool handled;
        try
        {
            handled = TryHandle(_commandHandlers, message);
        }
        finally
        {
            _commandDepth--;
        }
        // An async handler flushes when it completes; a synchronous one now.
        if (_pending.Count > 0 && !_asyncCommandRunning)
        {
            ActorCell.Current!.RunTask(_flush ??= FlushAsync);
        }
        return handled;
    }

    internal override void InvokePreStart()
    {
        base.InvokePreStart();
        StartRecovery();
    }

    internal override void InvokePostRestart(Exception reason)
    {
        base.InvokePostRestart(reason);
        StartRecovery();
    }

    private void AddCommand(Handler handler)
    {
        if (_building is not null)
        {
            _building = [.. _building, handler];
        }
        else
        {
            _commandHandlers = [.. _commandHandlers, handler];
        }
    }

    /// <summary>True while this instance is the one its cell runs (not replaced by a restart).</summary>
    private bool IsCurrentIncarnation => ActorCell.Current is { } cell && ReferenceEquals(cell.Actor, this);

    private static bool TryHandle(Handler[] handlers, object message)
    {
        foreach (var handler in handlers)
        {
            if (handler.TryHandle(message))
            {
                return true;
            }
        }
        return false;
    }

    private abstract class Handler
    {
        public abstract bool TryHandle(object message);
    }

    private sealed class SyncHandler<T>(Predicate<T>? shouldHandle, Action<T> action) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T typed || (shouldHandle is not null && !shouldHandle(typed)))
            {
                return false;
            }
            action(typed);
            return true;
        }
    }

    private sealed class AsyncHandler<T>(PersistentActor actor, Func<T, Task> action) : Handler
    {
        public override bool TryHandle(object message)
        {
            if (message is not T typed)
            {
                return false;
            }
            actor._asyncCommandRunning = true;
            ActorCell.Current!.RunTask(() => actor.RunAsyncCommand(action, typed));
            return true;
        }
    }
}
