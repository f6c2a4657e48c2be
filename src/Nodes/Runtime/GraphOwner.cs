using System.Collections.Immutable;
using System.Diagnostics;
using Actors.GraphLock;
using Actors.Singletons;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// The one owner of the block graph and its journal (<c>block-graph</c>): it runs graph commands
/// one at a time, each in a write section the Coordinator grants it, persists their lifecycle
/// events, and after write-unlock closes the nodes whose last reference went (the pending
/// unrefs, QEMU's <c>bdrv_schedule_unref</c>), exactly once, also across a crash. Requesters get
/// <see cref="WriteCompleted"/> or a <c>Status.Failure</c> carrying the reason. The live nodes are
/// on the hosts (<see cref="HostNodes"/>, one per host, registered with <see cref="RegisterHost"/>);
/// in a cluster the owner is a singleton, and every host's nodes are its to change.
/// </summary>
/// <remarks>
/// A command's steps, each a message to itself so the Coordinator's grant, the live nodes' work
/// on their IoThreads and the journal's answer never block the actor:
/// 1. <see cref="RequestWrite"/>; 2. on <see cref="WriteGranted"/> validate against the graph
/// (a refusal changes nothing) and send the events to every host's live nodes
/// (<see cref="ApplyEvents"/>: each applies what concerns its nodes; with no edge between hosts, a
/// command concerns the nodes of one host), and wait for every answer; 3. persist them;
/// 4. <see cref="ReleaseWrite"/>, with deferred work when unrefs are pending; 5. on
/// <see cref="RunDeferred"/> close them one by one, persisting each close, then
/// <see cref="DeferredDone"/>. Other commands wait (stashed) until the last step is done, so a
/// node deleted and at once added again on the same image reopens it only after the close.
/// The live nodes change before the events are persisted: what can fail there (an image QEMU
/// holds, bad options) is the first live effect of every command, so such a failure leaves the
/// live nodes as they were and the model is put back. A journal that fails stops this actor
/// (Akka's rule for persistent actors): its requester is told, its supervisor starts it again,
/// and the recovery makes the live nodes what the journal says, so the graph stays as it was.
/// A host that registers gets its nodes opened in a write section of its own (at start, the
/// recovery's write opens every host registered by then). A host that goes away (its member was
/// downed, or it stopped) is dropped: its nodes show as unavailable until it registers again, a
/// write waiting for its answer goes on without it (its nodes died with it), and a pending unref
/// of one of its nodes is recorded as closed (its image closed with the host).
/// </remarks>
public sealed class GraphOwner : ReceivePersistentActor, IWithTimers
{
    /// <summary>
    /// How long a new owner in a cluster waits for the hosts of the members that are up to
    /// register before it opens the graph without the late ones (they are opened when they come).
    /// </summary>
    public static readonly TimeSpan HostsAwaited = TimeSpan.FromSeconds(10);

    /// <summary>The persistence id of the graph's history.</summary>
    public const string GraphPersistenceId = "block-graph";

    private readonly IActorRef _coordinator;
    private readonly DriverRegistry _drivers;
    private readonly GraphOwnerSettings _settings;
    private readonly BlockGraph _graph;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<string> _closesTried = new(StringComparer.Ordinal);
    // Each registered host (its live nodes), and why nodes could not be opened there.
    private readonly Dictionary<string, RegisterHost> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unavailable = new(StringComparer.Ordinal);
    // The hosts whose answer the current live step waits for, what it does then, and the first failure.
    private readonly HashSet<IActorRef> _awaited = [];
    private Action<Exception?>? _afterLive;
    private Exception? _liveFailure;
    private PendingWrite? _write;
    private WriteSection? _section;
    private long _lastSnapshotAt;
    private int _deferredRan;
    private int _deferredFailed;
    // Since the owner started: its log says how long recovery and opening the hosts took (a failover's last steps).
    private readonly Stopwatch _sinceStart = Stopwatch.StartNew();

    public GraphOwner(IActorRef coordinator, DriverRegistry drivers, GraphOwnerSettings settings)
    {
        _coordinator = coordinator;
        _drivers = drivers;
        _settings = settings;
        _graph = new BlockGraph(drivers.Info);

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
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("The block graph is read from the journal: {0} nodes up to event {1}, {2} ms after the owner started.", _graph.Nodes.Count, LastSequenceNr, _sinceStart.ElapsedMilliseconds);
            Self.Tell(StartUp.Instance);
        });
        Starting();
    }

    public override string PersistenceId => GraphPersistenceId;

    protected override void PreStart()
    {
        base.PreStart();
        // The hosts register with this owner at once (their registrations wait in the stash
        // while the journal is read), rather than when their proxies find it.
        SingletonStarted.Announce(Context, HostNodes.Name);
    }

    public static Props Props(IActorRef coordinator, DriverRegistry drivers, GraphOwnerSettings settings) =>
        Akka.Actor.Props.Create(() => new GraphOwner(coordinator, drivers, settings));

    /// <summary>
    /// The owner under a back-off supervisor, as a host runs it: the owner stops when its journal
    /// fails (Akka's rule for persistent actors); it is started again at once and recovers, and a
    /// message that arrives meanwhile is answered with a failure that says to retry.
    /// </summary>
    public static Props SupervisedProps(IActorRef coordinator, DriverRegistry drivers, GraphOwnerSettings settings) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(coordinator, drivers, settings), "owner", TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2), 0.1, maxNrOfRetries: -1)
            .WithReplyWhileStopped(new Status.Failure(new InvalidOperationException("The block graph is recovering from its journal after a journal failure; try again"))));

    /// <summary>
    /// The journal is read; before any command the live nodes are made what it says, in a write
    /// section of their own, and the unrefs a crash left pending run. A journal written by the
    /// engine's earlier format is imported first, once: only into an empty history.
    /// </summary>
    private void Starting()
    {
        HostsWatched();
        Command<RegisterHost>(register =>
        {
            if (!ClusterMembers.IsUp(Context.System, register.Nodes))
            {
                // Registers again once it is up (see Ready).
                return;
            }
            AddHost(register);
            if (Timers.IsTimerActive(HostsAwaitedEnough.Instance) && !UnregisteredMembers().Any())
            {
                Recover();
            }
        });
        Command<StartUp>(_ =>
        {
            if (LastSequenceNr == 0 && _settings.LegacyHistory() is { Count: > 0 } legacy)
            {
                // The graph as the old journal leaves it, in its shortest history: pending unrefs
                // stay pending (and run once, below), closed nodes are gone.
                var imported = new BlockGraph(_drivers.Info);
                foreach (var e in legacy)
                {
                    imported.Apply(e);
                }
                var history = imported.Compact();
                _log.Info("Importing the block graph from the journal written before Akka.NET ({0} events, {1} after compaction); that file is kept as it was.", legacy.Count, history.Count);
                PersistAll(history, _graph.Apply);
                DeferAsync(history.Count, _ => RecoverOnceHostsRegistered());
                return;
            }
            RecoverOnceHostsRegistered();
        });
        Command<HostsAwaitedEnough>(_ =>
        {
            _log.Warning("Hosts of {0} did not register within {1} s; their nodes are unavailable until they do.", string.Join(", ", UnregisteredMembers()), HostsAwaited.TotalSeconds);
            Recover();
        });
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>
    /// In a cluster, a new owner (after a failover) first waits, bounded, for the hosts of every
    /// member that is up: a host that has not registered yet would otherwise show its nodes as
    /// unavailable, and refuse commands for them, while it is up and serving.
    /// </summary>
    private void RecoverOnceHostsRegistered()
    {
        if (!UnregisteredMembers().Any())
        {
            Recover();
            return;
        }
        Timers.StartSingleTimer(HostsAwaitedEnough.Instance, HostsAwaitedEnough.Instance, HostsAwaited);
    }

    private void Recover()
    {
        Timers.Cancel(HostsAwaitedEnough.Instance);
        BeginWrite(new PendingWrite("recover the block graph", null, ActorRefs.Nobody));
    }

    /// <summary>The members that are up (in a cluster) with no host registered here.</summary>
    private IEnumerable<Address> UnregisteredMembers()
    {
        if (Context.System is not ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            return [];
        }
        var cluster = Cluster.Get(Context.System);
        var registered = _hosts.Values.Select(h => ClusterMembers.AddressOf(cluster, h.Nodes)).ToHashSet();
        return cluster.State.Members.Where(m => m.Status == MemberStatus.Up && !registered.Contains(m.Address)).Select(m => m.Address);
    }

    private void Ready()
    {
        SnapshotReplies();
        HostsWatched();
        Command<RegisterHost>(register =>
        {
            // A host registers again until its nodes are opened: once is enough. A host that is
            // not up registers again once it is (it joins), or never (it leaves: its front ends
            // are closed, and opening its nodes would wait until it is gone).
            if (!register.Nodes.Equals(_hosts.GetValueOrDefault(register.Host)?.Nodes) && ClusterMembers.IsUp(Context.System, register.Nodes))
            {
                BeginWrite(new PendingWrite($"open the nodes of host '{register.Host}'", register, ActorRefs.Nobody));
            }
        });
        Command<IGraphCommand>(command => BeginWrite(new PendingWrite(command.GetType().Name, command, Sender)));
        Command<RemoveIoThread>(remove => BeginWrite(new PendingWrite($"remove IoThread '{remove.IoThread}' of host '{remove.Host}'", remove, Sender)));
        Command<QueryGraph>(_ => Sender.Tell(GraphSnapshot.Of(_graph, UnavailableReason)));
    }

    /// <summary>In every state: a host that goes away is dropped, and no live step waits for it.</summary>
    private void HostsWatched()
    {
        Command<Terminated>(terminated =>
        {
            var host = _hosts.FirstOrDefault(h => h.Value.Nodes.Equals(terminated.ActorRef)).Key;
            if (host is not null)
            {
                _hosts.Remove(host);
                // While the system stops (this host's own shutdown) that is expected, not news.
                if (CoordinatedShutdown.Get(Context.System).ShutdownReason is null)
                {
                    _log.Warning("Host '{0}' is gone: its nodes are unavailable until it registers again.", host);
                }
            }
            LiveAnswered(terminated.ActorRef, failure: null);
        });
    }

    private void AddHost(RegisterHost register)
    {
        if (_hosts.TryGetValue(register.Host, out var previous) && !previous.Nodes.Equals(register.Nodes))
        {
            Context.Unwatch(previous.Nodes);
        }
        _hosts[register.Host] = register;
        Context.Watch(register.Nodes);
    }

    /// <summary>Why <paramref name="node"/> does not serve: it could not be opened, or its host is not up; null when it serves.</summary>
    private string? UnavailableReason(GraphNode node) =>
        _unavailable.GetValueOrDefault(node.Name) ?? (_hosts.ContainsKey(node.Host) ? null : $"its host '{node.Host}' is not up");

    public ITimerScheduler Timers { get; set; } = null!;

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
        HostsWatched();
        Command<WriteGranted>(granted =>
        {
            _section = new WriteSection(granted.Epoch);
            _write = _write! with { Waited = granted.Waited };
            RunInWriteSection(_write);
        });
        LiveAnswers();
        CommandAny(_ => Stash.Stash());
    }

    private void RunInWriteSection(PendingWrite write)
    {
        switch (write.Command)
        {
            case null:
                _log.Info("The block graph serves from here: opening the nodes of {0} ({1} ms after the owner started).", _hosts.Count == 0 ? "no host yet" : "hosts " + string.Join(", ", _hosts.Keys.Order(StringComparer.Ordinal)), _sinceStart.ElapsedMilliseconds);
                OpenHosts([.. _hosts.Values.Select(h => h.Nodes)]);
                return;
            case RegisterHost register:
                AddHost(register);
                OpenHosts([register.Nodes]);
                return;
            case RemoveIoThread remove when !_hosts.TryGetValue(remove.Host, out _):
                Finish(new Status.Failure(new GraphException($"Host '{remove.Host}' is not up")), runDeferred: false);
                return;
            case RemoveIoThread remove:
                SendToHosts([_hosts[remove.Host].Nodes], remove, failure => Finish(failure is null ? Completed() : new Status.Failure(failure), runDeferred: false));
                return;
            case IGraphCommand command:
                var before = _graph.Compact();
                IReadOnlyList<IGraphEvent> events;
                try
                {
                    events = WithIoThread(command).Apply(_graph);
                    RequireHostsUp(events);
                }
                catch (GraphException refused)
                {
                    Restore(before);
                    _log.Info("{0} was refused ({1}); the graph is as it was.", write.Reason, refused.Message);
                    Finish(new Status.Failure(refused), runDeferred: false);
                    return;
                }
                if (events.Count == 0)
                {
                    Finish(Completed(), runDeferred: false);
                    return;
                }
                SendToHosts([.. _hosts.Values.Select(h => h.Nodes)], new ApplyEvents([.. events]), failure =>
                {
                    if (failure is null)
                    {
                        PersistEvents(events);
                        return;
                    }
                    if (Refusal.Is(failure))
                    {
                        // The requester gets the reason; a refusal is no fault of the host.
                        _log.Info("{0} was refused by the live nodes ({1}); the graph is as it was.", _write!.Reason, failure.Message);
                    }
                    else
                    {
                        _log.Error(failure, "{0} failed on the live nodes; the graph is as it was.", _write!.Reason);
                    }
                    Restore(before);
                    Finish(new Status.Failure(failure), runDeferred: false);
                });
                return;
        }
    }

    /// <summary>A node added with no IoThread runs on its host's default one (the first it starts with).</summary>
    private IGraphCommand WithIoThread(IGraphCommand command) => command switch
    {
        AddNode { IoThread: "" } add => add with
        {
            IoThread = _hosts.GetValueOrDefault(add.Host)?.DefaultIoThread
                ?? throw new GraphException($"Host '{add.Host}' is not up, or has no IoThread: node '{add.Node}' cannot be opened there"),
        },
        _ => command,
    };

    /// <summary>A node is added only on a host that is up: its live nodes open it.</summary>
    private void RequireHostsUp(IReadOnlyList<IGraphEvent> events)
    {
        foreach (var added in events.OfType<NodeAdded>())
        {
            if (!_hosts.ContainsKey(added.Host))
            {
                throw new GraphException($"Host '{added.Host}' is not up: node '{added.Node}' cannot be opened there");
            }
        }
    }

    /// <summary>Makes the live nodes of <paramref name="hosts"/> what the graph says, then leaves the write section (and runs the pending unrefs).</summary>
    private void OpenHosts(IReadOnlyList<IActorRef> hosts)
    {
        SendToHosts(hosts, new OpenHost(new GraphHistory([.. _graph.Compact()])), failure =>
        {
            if (failure is not null)
            {
                _log.Error(failure, "The live nodes could not be made what the graph says.");
            }
            Finish(reply: null, runDeferred: _graph.PendingUnrefs.Count > 0);
        });
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="hosts"/> and, once each answered (or went
    /// away), runs <paramref name="then"/> with the first failure, or null.
    /// </summary>
    private void SendToHosts(IReadOnlyList<IActorRef> hosts, object message, Action<Exception?> then)
    {
        _awaited.Clear();
        _awaited.UnionWith(hosts);
        _liveFailure = null;
        _afterLive = then;
        foreach (var host in hosts)
        {
            host.Tell(message);
        }
        LiveAnswered(ActorRefs.Nobody, failure: null);
    }

    /// <summary>The answers of hosts to a live step, in the states that send one.</summary>
    private void LiveAnswers()
    {
        Command<HostOpened>(opened =>
        {
            foreach (var node in _graph.Nodes.Where(n => n.Host == opened.Host))
            {
                _unavailable.Remove(node.Name);
            }
            foreach (var (node, reason) in opened.Unavailable)
            {
                _unavailable[node] = reason;
                _log.Warning("Node '{0}' is unavailable: {1}. The rest of the graph serves; blockdev-del removes it.", node, reason.TrimEnd('.'));
            }
            LiveAnswered(Sender, failure: null);
        });
        Command<LiveWorkDone>(_ => LiveAnswered(Sender, failure: null));
        Command<Status.Failure>(failed => LiveAnswered(Sender, failed.Cause));
    }

    private void LiveAnswered(IActorRef host, Exception? failure)
    {
        if (!_awaited.Remove(host) && !host.IsNobody())
        {
            return;
        }
        _liveFailure ??= failure;
        if (_awaited.Count == 0 && _afterLive is { } then)
        {
            _afterLive = null;
            then(_liveFailure);
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
        HostsWatched();
        LiveAnswers();
        Command<RunDeferred>(run => CloseNext(run.Epoch));
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
        // A node whose host is gone closed with it: only the close is recorded.
        IActorRef[] host = _hosts.TryGetValue(_graph.Get(node).Host, out var registered) ? [registered.Nodes] : [];
        SendToHosts(host, new CloseLiveNode(node), failure =>
        {
            _deferredRan++;
            if (failure is not null)
            {
                // Counted and reported, not retried until the next start: one failing close must not stop the others.
                _deferredFailed++;
                _log.Error(failure, "The deferred close of node '{0}' failed.", node);
                CloseNext(epoch);
                return;
            }
            _unavailable.Remove(node);
            PersistAll(_graph.Close(node), _ => { });
            DeferAsync(node, _ => CloseNext(epoch));
        });
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

    private sealed record HostsAwaitedEnough
    {
        public static readonly HostsAwaitedEnough Instance = new();
    }

}
