using System.Collections.Immutable;
using Actors.GraphLock;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Nodes.Commands;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// The one owner of the block graph and its journal (<c>block-graph</c>): it runs graph commands
/// one at a time, each in a write section the Coordinator grants it, persists their lifecycle
/// events, and after write-unlock closes the nodes whose last reference went (the pending
/// unrefs, QEMU's <c>bdrv_schedule_unref</c>), exactly once, also across a crash. Requesters get
/// <see cref="WriteCompleted"/> or a <c>Status.Failure</c> carrying the reason.
/// </summary>
/// <remarks>
/// A command's steps, each a message to itself so the Coordinator's grant, the live nodes' work
/// on their IoThreads and the journal's answer never block the actor:
/// 1. <see cref="RequestWrite"/>; 2. on <see cref="WriteGranted"/> validate against the graph
/// (a refusal changes nothing) and apply the events to the live nodes; 3. persist them;
/// 4. <see cref="ReleaseWrite"/>, with deferred work when unrefs are pending; 5. on
/// <see cref="RunDeferred"/> close them one by one, persisting each close, then
/// <see cref="DeferredDone"/>. Other commands wait (stashed) until the last step is done, so a
/// node deleted and at once added again on the same image reopens it only after the close.
/// The live nodes change before the events are persisted: what can fail there (an image QEMU
/// holds, bad options) is the first live effect of every command, so such a failure leaves the
/// live nodes as they were and the model is put back. A journal that fails stops this actor
/// (Akka's rule for persistent actors): its requester is told, its supervisor starts it again,
/// and the recovery makes the live nodes what the journal says, so the graph stays as it was.
/// </remarks>
public sealed class GraphOwner : ReceivePersistentActor
{
    /// <summary>The persistence id of the graph's history.</summary>
    public const string GraphPersistenceId = "block-graph";

    private readonly IActorRef _coordinator;
    private readonly GraphRuntime _runtime;
    private readonly GraphOwnerSettings _settings;
    private readonly BlockGraph _graph;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _closesTried = new(StringComparer.Ordinal);
    private PendingWrite? _write;
    private WriteSection? _section;
    private long _lastSnapshotAt;
    private int _deferredRan;
    private int _deferredFailed;

    public GraphOwner(IActorRef coordinator, GraphRuntime runtime, GraphOwnerSettings settings)
    {
        _coordinator = coordinator;
        _runtime = runtime;
        _settings = settings;
        _graph = new BlockGraph(runtime.Drivers.Info);

        Recover<SnapshotOffer>(offer =>
        {
            _graph.Clear();
            foreach (var e in ((GraphHistory)offer.Snapshot).Events)
            {
                _graph.Apply(e);
            }
            _lastSnapshotAt = offer.Metadata.SequenceNr;
        });
        Recover<IGraphEvent>(_graph.Apply);
        Recover<RecoveryCompleted>(_ => Self.Tell(StartUp.Instance));
        Starting();
    }

    public override string PersistenceId => GraphPersistenceId;

    public static Props Props(IActorRef coordinator, GraphRuntime runtime, GraphOwnerSettings settings) =>
        Akka.Actor.Props.Create(() => new GraphOwner(coordinator, runtime, settings));

    /// <summary>
    /// The owner under a back-off supervisor, as a host runs it: the owner stops when its journal
    /// fails (Akka's rule for persistent actors); it is started again at once and recovers, and a
    /// message that arrives meanwhile is answered with a failure that says to retry.
    /// </summary>
    public static Props SupervisedProps(IActorRef coordinator, GraphRuntime runtime, GraphOwnerSettings settings) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(coordinator, runtime, settings), "owner", TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2), 0.1, maxNrOfRetries: -1)
            .WithReplyWhileStopped(new Status.Failure(new InvalidOperationException("The block graph is recovering from its journal after a journal failure; try again"))));

    /// <summary>
    /// The journal is read; before any command the live nodes are made what it says, in a write
    /// section of their own, and the unrefs a crash left pending run. A journal written by the
    /// engine's earlier format is imported first, once: only into an empty history.
    /// </summary>
    private void Starting()
    {
        Command<StartUp>(_ =>
        {
            if (LastSequenceNr == 0 && _settings.LegacyHistory() is { Count: > 0 } legacy)
            {
                // The graph as the old journal leaves it, in its shortest history: pending unrefs
                // stay pending (and run once, below), closed nodes are gone.
                var imported = new BlockGraph(_runtime.Drivers.Info);
                foreach (var e in legacy)
                {
                    imported.Apply(e);
                }
                var history = imported.Compact();
                _log.Info("Importing the block graph from the journal written before Akka.NET ({0} events, {1} after compaction); that file is kept as it was.", legacy.Count, history.Count);
                PersistAll(history, _graph.Apply);
                DeferAsync(history.Count, _ => BeginWrite(new PendingWrite("recover the block graph", null, ActorRefs.Nobody)));
                return;
            }
            BeginWrite(new PendingWrite("recover the block graph", null, ActorRefs.Nobody));
        });
        CommandAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        SnapshotReplies();
        Command<IGraphCommand>(command => BeginWrite(new PendingWrite(command.GetType().Name, command, Sender)));
        Command<RemoveIoThread>(remove => BeginWrite(new PendingWrite($"remove IoThread '{remove.IoThread}'", remove, Sender)));
        Command<QueryGraph>(_ => Sender.Tell(GraphSnapshot.Of(_graph, _runtime)));
    }

    private void BeginWrite(PendingWrite write)
    {
        _write = write;
        _coordinator.Tell(new RequestWrite(write.Reason));
        Become(Writing);
    }

    /// <summary>Steps 2 to 4: everything else waits.</summary>
    private void Writing()
    {
        SnapshotReplies();
        Command<WriteGranted>(granted =>
        {
            _section = new WriteSection(granted.Epoch);
            _write = _write! with { Waited = granted.Waited };
            RunInWriteSection(_write);
        });
        Command<LiveApplied>(applied => PersistEvents(applied.Events));
        Command<LiveFailed>(failed =>
        {
            if (Refusal.Is(failed.Cause))
            {
                // The requester gets the reason; a refusal is no fault of the host.
                _log.Info("{0} was refused by the live nodes ({1}); the graph is as it was.", _write!.Reason, failed.Cause.Message);
            }
            else
            {
                _log.Error(failed.Cause, "{0} failed on the live nodes; the graph is as it was.", _write!.Reason);
            }
            Restore(failed.ModelBefore);
            Finish(new Status.Failure(failed.Cause), runDeferred: false);
        });
        Command<Recovered>(recovered =>
        {
            foreach (var (node, reason) in recovered.Unavailable)
            {
                _log.Warning("Node '{0}' is unavailable: {1}. The rest of the graph serves; blockdev-del removes it.", node, reason.TrimEnd('.'));
            }
            Finish(reply: null, runDeferred: _graph.PendingUnrefs.Count > 0);
        });
        CommandAny(_ => Stash.Stash());
    }

    private void RunInWriteSection(PendingWrite write)
    {
        switch (write.Command)
        {
            case null:
                _runtime.OpenAllAsync(_graph).PipeTo(Self, success: unavailable => new Recovered(unavailable), failure: e => new LiveFailed(e, _graph.Compact()));
                return;
            case RemoveIoThread remove:
                Finish(Try(() =>
                {
                    _runtime.RemoveIoThread(remove.IoThread);
                    return Completed();
                }), runDeferred: false);
                return;
            case IGraphCommand command:
                var before = _graph.Compact();
                IReadOnlyList<IGraphEvent> events;
                try
                {
                    events = command.Apply(_graph);
                }
                catch (GraphException refused)
                {
                    _log.Info("{0} was refused ({1}); the graph is as it was.", write.Reason, refused.Message);
                    Finish(new Status.Failure(refused), runDeferred: false);
                    return;
                }
                if (events.Count == 0)
                {
                    Finish(Completed(), runDeferred: false);
                    return;
                }
                _runtime.ApplyAsync(events).PipeTo(Self, success: () => new LiveApplied(events), failure: e => new LiveFailed(e, before));
                return;
        }
    }

    private void PersistEvents(IReadOnlyList<IGraphEvent> events)
    {
        var persisted = 0;
        PersistAll(events, _ =>
        {
            if (++persisted < events.Count)
            {
                return;
            }
            SnapshotIfDue();
            Finish(Completed(), runDeferred: events.OfType<UnrefScheduled>().Any());
        });
    }

    /// <summary>Step 4: answer the requester, leave the write section and go on with what waits.</summary>
    private void Finish(object? reply, bool runDeferred)
    {
        if (reply is not null)
        {
            _write!.Requester.Tell(reply);
        }
        _coordinator.Tell(_section!.Release(runDeferred));
        _section = null;
        _write = null;
        if (runDeferred)
        {
            _closesTried.Clear();
            _deferredRan = _deferredFailed = 0;
            Become(Deferred);
            return;
        }
        Become(Ready);
        Stash.UnstashAll();
    }

    /// <summary>
    /// Step 5, the deferred unref: after write-unlock nothing can reach the node (it has no parent
    /// or export left, and no request was in flight), so closing needs no drain; then its close is
    /// persisted. After a crash, replay finds it pending and runs it again: the close of a node
    /// that is not open only records the event, so it happens once.
    /// </summary>
    private void Deferred()
    {
        SnapshotReplies();
        Command<RunDeferred>(run => CloseNext(run.Epoch));
        Command<NodeClosedLive>(closed =>
        {
            _deferredRan++;
            PersistAll(_graph.Close(closed.Node), _ => { });
            DeferAsync(closed, c => CloseNext(c.Epoch));
        });
        Command<CloseFailed>(failed =>
        {
            // Counted and reported, not retried until the next start: one failing close must not stop the others.
            _deferredRan++;
            _deferredFailed++;
            _log.Error(failed.Cause, "The deferred close of node '{0}' failed.", failed.Node);
            CloseNext(failed.Epoch);
        });
        CommandAny(_ => Stash.Stash());
    }

    private void CloseNext(long epoch)
    {
        var node = _graph.PendingUnrefs.FirstOrDefault(n => !_closesTried.Contains(n));
        if (node is null)
        {
            SnapshotIfDue();
            _coordinator.Tell(new DeferredDone(epoch, _deferredRan, _deferredFailed));
            Become(Ready);
            Stash.UnstashAll();
            return;
        }
        _closesTried.Add(node);
        _runtime.CloseNodeAsync(node).PipeTo(Self, success: () => new NodeClosedLive(node, epoch), failure: e => new CloseFailed(node, epoch, e));
    }

    /// <summary>A snapshot is an optimisation: one that fails to save costs a longer replay, and is said so.</summary>
    private void SnapshotReplies()
    {
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(failure => _log.Warning("The graph's snapshot at event {0} could not be saved ({1}); the next start replays more events.", failure.Metadata.SequenceNr, failure.Cause.Message));
    }

    private void SnapshotIfDue()
    {
        if (_settings.SnapshotEvery > 0 && LastSequenceNr - _lastSnapshotAt >= _settings.SnapshotEvery)
        {
            _lastSnapshotAt = LastSequenceNr;
            SaveSnapshot(new GraphHistory([.. _graph.Compact()]));
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops this actor next; the live nodes already changed, so the restart's recovery
        // puts them back as the journal has them.
        _write?.Requester.Tell(new Status.Failure(new GraphJournalException(
            $"The journal refused the events of {_write.Reason} ({cause.Message}); nothing was changed", cause)));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _write?.Requester.Tell(new Status.Failure(new GraphJournalException(
            $"The journal rejected the events of {_write.Reason} ({cause.Message}); nothing was changed", cause)));
        base.OnPersistRejected(cause, @event, sequenceNr);
        // The live nodes are ahead of the journal: start again from it, as after a failure.
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "The block graph could not be recovered from its journal.");
        base.OnRecoveryFailure(reason, message);
    }

    private WriteCompleted Completed() => new(_section!.Epoch, _write!.Waited);

    private static object Try(Func<object> step)
    {
        try
        {
            return step();
        }
        catch (GraphException refused)
        {
            return new Status.Failure(refused);
        }
    }

    private void Restore(IReadOnlyList<IGraphEvent> history)
    {
        _graph.Clear();
        foreach (var e in history)
        {
            _graph.Apply(e);
        }
    }

    /// <summary>A write this actor runs: a command, or (no command) the recovery of the live nodes.</summary>
    private sealed record PendingWrite(string Reason, object? Command, IActorRef Requester)
    {
        public TimeSpan Waited { get; init; }
    }

    private sealed record StartUp
    {
        public static readonly StartUp Instance = new();
    }

    private sealed record Recovered(IReadOnlyDictionary<string, string> Unavailable);

    private sealed record LiveApplied(IReadOnlyList<IGraphEvent> Events);

    private sealed record LiveFailed(Exception Cause, IReadOnlyList<IGraphEvent> ModelBefore);

    private sealed record NodeClosedLive(string Node, long Epoch);

    private sealed record CloseFailed(string Node, long Epoch, Exception Cause);
}
