using System.Diagnostics;
using Actors.Singletons;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Actors.GraphLock;

/// <summary>
/// The graph lock's writer side (QEMU's main loop holding the BQL). It registers the contexts
/// readers run on (IoThreads, or host aggregators summing them), and for each write: stops new
/// readers everywhere (<see cref="BeginWrite"/>), waits until every context reported for the
/// epoch and the orphaned balance plus all reports is zero, grants the write to its requester
/// (<see cref="WriteGranted"/>), and when the requester releases it unlocks
/// (<see cref="EndWrite"/>) and lets the requester run its deferred work
/// (<see cref="RunDeferred"/>) before any other writer. Writers are served one at a time, in
/// request order. No code crosses into it: requesters change the graph themselves while they
/// hold the write.
/// </summary>
/// <remarks>
/// In a cluster it runs as a singleton and counts the members: a write is granted only once every
/// member that is up has a context registered here (its host's aggregator), so a Coordinator that
/// just took over never grants a write while a host it has not heard of yet still has readers
/// inside. A member that dies is downed, then removed: its contexts are dropped (DeathWatch) and it
/// is no longer waited for, so no write waits forever for readers that died with their host.
/// </remarks>
public sealed class Coordinator : ReceiveActor
{
    private readonly GraphLockOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ContextTable _contexts = new();
    private readonly Queue<PendingWrite> _queued = new();
    private readonly Queue<PendingWrite> _nested = new();
    private readonly HashSet<string> _awaitingWriteEnded = new(StringComparer.Ordinal);
    private readonly LatencyRecorder _writeWait = new();
    private readonly WriteTimeline _timeline = new();
    // In a cluster: the members that are up, each of which must have registered before a write.
    private readonly HashSet<Address> _members = [];
    // The cluster, when this Coordinator is its singleton; null on a lone host.
    private Cluster? _cluster;
    private PendingWrite? _current;
    private bool _granted;
    // The writer whose deferred work runs now; queued writers wait until it is done.
    private IActorRef? _deferredOwner;
    private bool _runDeferredOwed;
    private long _epoch;
    // The epoch whose EndWrite the contexts are acknowledging: a later write may have begun meanwhile.
    private long _unlockedEpoch;
    private bool _resuming;
    private long _writesDone;
    private long _deferredRun;
    private long _deferredFailed;

    public Coordinator(GraphLockOptions options)
    {
        _options = options;
        Receive<ReaderReport>(report =>
        {
            _contexts.Report(report.Context, report.Epoch, report.Readers, report.Parked);
            if (report.Left is { } left && report.Epoch == _epoch && HasWriter && !_granted)
            {
                _timeline.ReaderLeft(left);
            }
            CheckDrained();
        });
        Receive<WriteEnded>(ended =>
        {
            if (ended.Epoch == _unlockedEpoch && _awaitingWriteEnded.Remove(ended.Context))
            {
                CheckWriteEnded();
            }
        });
        Receive<RequestWrite>(OnRequestWrite);
        Receive<ReleaseWrite>(OnReleaseWrite);
        Receive<DeferredDone>(OnDeferredDone);
        Receive<RegisterContext>(OnRegister);
        Receive<UnregisterContext>(unregister =>
        {
            if (_contexts.Unregister(unregister.Context, unregister.Balance))
            {
                ContextGone(unregister.Context);
            }
        });
        Receive<Terminated>(OnTerminated);
        Receive<ClusterEvent.MemberUp>(up => _members.Add(up.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            _members.Remove(removed.Member.Address);
            CheckDrained();
        });
        Receive<QueryGraphLock>(query => Sender.Tell(Status(query.Since), Self));
    }

    /// <summary>Props for a Coordinator.</summary>
    public static Props Props(GraphLockOptions options) => Akka.Actor.Props.Create(() => new Coordinator(options));

    private bool HasWriter => _current is not null;

    protected override void PreStart()
    {
        if (Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            _cluster = Cluster.Get(Context.System);
            _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));
            SingletonStarted.Announce(Context, HostAggregator.Name);
        }
    }

    protected override void PostStop()
    {
        _cluster?.Unsubscribe(Self);
    }

    /// <summary>Whether every member that is up has registered a context (always, outside a cluster).</summary>
    private bool EveryMemberCounted() =>
        _members.Count == 0 || _members.IsSubsetOf(_contexts.Refs.Select(r => ClusterMembers.AddressOf(_cluster!, r)));

    private void OnRequestWrite(RequestWrite request)
    {
        var write = new PendingWrite(request.Reason, Sender, Stopwatch.GetTimestamp());
        Context.Watch(Sender);
        (Sender.Equals(_deferredOwner) ? _nested : _queued).Enqueue(write);
        TryStartNextWrite();
    }

    /// <summary>
    /// A context joins. It parks its readers until it hears back, so Case 1 (no writer): it is
    /// told so and lets readers run; Case 2 (a writer waits or writes): it is told the epoch,
    /// keeps parking and reports, and the writer waits for that report too (scenario: a context
    /// registered while a writer waits receives BeginWrite and parks its readers).
    /// </summary>
    private void OnRegister(RegisterContext register)
    {
        if (!ClusterMembers.IsUp(Context.System, register.Ref))
        {
            // Not yet (it joins: it registers again) or no longer: a host that leaves closed its
            // front ends first, has no readers to count, and would only hold up writes until it
            // is gone. Its IoThreads stay parked.
            _log.Debug("Host context {0} not registered: its host is not up.", register.Context);
            return;
        }
        var known = register.Ref.Equals(_contexts.RefOf(register.Context));
        _contexts.Register(register.Context, register.Ref);
        Context.Watch(register.Ref);
        if (_cluster is not null && !known)
        {
            // One line per host and Coordinator: a failover is read from these.
            _log.Info("Host context {0} registered{1}.", register.Context, HasWriter ? $" during write {_epoch}" : "");
        }
        register.Ref.Tell(new ContextRegistered(register.Context, _epoch, HasWriter), Self);
    }

    private void OnTerminated(Terminated terminated)
    {
        var gone = terminated.ActorRef;
        if (_contexts.Drop(gone) is { } id)
        {
            // Its readers died with it (DESIGN §4): its balance is dropped, not orphaned.
            _log.Warning("Graph-lock context {0} died; its readers are no longer counted.", id);
            ContextGone(id);
        }
        // Every write a dead writer asked for goes with it, and first: unlocking its current write
        // below starts the next one, which must not be another of its own (that would be granted
        // to nobody, and the graph would stay locked with every reader parked).
        RemoveWrites(_queued, gone);
        RemoveWrites(_nested, gone);
        if (gone.Equals(_deferredOwner))
        {
            _deferredOwner = null;
            _runDeferredOwed = false;
        }
        if (gone.Equals(_current?.Requester))
        {
            // A writer that dies must not hold the graph, nor the readers parked for it.
            _log.Warning("Writer {0} ({1}) died holding or awaiting write {2}; unlocking.", gone, _current!.Reason, _epoch);
            Unlock(gone, runDeferred: false);
        }
        TryStartNextWrite();
    }

    private static void RemoveWrites(Queue<PendingWrite> writes, IActorRef requester)
    {
        if (writes.Any(w => w.Requester.Equals(requester)))
        {
            var kept = writes.Where(w => !w.Requester.Equals(requester)).ToList();
            writes.Clear();
            kept.ForEach(writes.Enqueue);
        }
    }

    private void ContextGone(string id)
    {
        _awaitingWriteEnded.Remove(id);
        CheckDrained();
        CheckWriteEnded();
    }

    /// <summary>
    /// Starts the next writer unless one is active. Writes requested by the writer whose deferred
    /// work runs go first; queued writes wait until that work is done, so nothing unrelated runs
    /// between a write-unlock and its deferred work.
    /// </summary>
    private void TryStartNextWrite()
    {
        if (HasWriter)
        {
            return;
        }
        if (!_nested.TryDequeue(out var next) && (_deferredOwner is not null || !_queued.TryDequeue(out next)))
        {
            return;
        }
        _current = next;
        _epoch++;
        _timeline.Began(next.RequestedAt);
        // Step 1 of the write side: stop new readers everywhere before waiting for the old ones.
        foreach (var context in _contexts.Refs)
        {
            context.Tell(new BeginWrite(_epoch), Self);
        }
        CheckDrained();
    }

    /// <summary>
    /// Step 3: grant once every registered context reported for this epoch and the sum is zero.
    /// A context that reported 1 and then unlocked reports again (it reports every change while
    /// a writer waits), so the last unlock is never missed, whichever order reports arrive in.
    /// </summary>
    private void CheckDrained()
    {
        if (!HasWriter || _granted || !_contexts.AllReported(_epoch) || !EveryMemberCounted())
        {
            return;
        }
        _timeline.Stopped();
        if (_contexts.Readers != 0)
        {
            return;
        }
        var waited = _timeline.Granted(_epoch, _current!.RequestedAt);
        _writeWait.Record(waited);
        _granted = true;
        _options.Monitor?.EnterWrite();
        _current.Requester.Tell(new WriteGranted(_epoch, waited), Self);
    }

    private void OnReleaseWrite(ReleaseWrite release)
    {
        if (!_granted || release.Epoch != _epoch || !Sender.Equals(_current!.Requester))
        {
            _log.Warning("Ignored a release of write {0} from {1}: write {2} is {3}.", release.Epoch, Sender, _epoch, _granted ? $"held by {_current!.Requester}" : "not granted");
            return;
        }
        Unlock(Sender, release.RunDeferred);
    }

    /// <summary>
    /// Step 5: unlock and tell every context (its parked readers resume, in order, before any
    /// later BeginWrite reaches it: messages between two actors stay in order); the writer's
    /// deferred work runs once every context confirmed the resume.
    /// </summary>
    private void Unlock(IActorRef writer, bool runDeferred)
    {
        if (_granted)
        {
            _options.Monitor?.ExitWrite();
            _writesDone++;
            _timeline.Released();
        }
        // A write that was never granted (its writer died waiting) has no section to time.
        _resuming = _granted;
        _granted = false;
        _current = null;
        _unlockedEpoch = _epoch;
        _awaitingWriteEnded.Clear();
        foreach (var id in _contexts.Ids)
        {
            _awaitingWriteEnded.Add(id);
        }
        foreach (var context in _contexts.Refs)
        {
            context.Tell(new EndWrite(_epoch), Self);
        }
        if (runDeferred && _deferredOwner is null)
        {
            _deferredOwner = writer;
        }
        // After the first unlock, and after each write the deferred work requested, it goes on.
        _runDeferredOwed = _deferredOwner is not null && _deferredOwner.Equals(writer);
        CheckWriteEnded();
        TryStartNextWrite();
    }

    private void CheckWriteEnded()
    {
        if (_resuming && _awaitingWriteEnded.Count == 0)
        {
            _resuming = false;
            _timeline.Resumed();
        }
        if (_runDeferredOwed && _awaitingWriteEnded.Count == 0 && !HasWriter)
        {
            _runDeferredOwed = false;
            _timeline.DeferredStarted();
            _deferredOwner!.Tell(new RunDeferred(_epoch), Self);
        }
    }

    private void OnDeferredDone(DeferredDone done)
    {
        if (!Sender.Equals(_deferredOwner))
        {
            _log.Warning("Ignored DeferredDone from {0}: no deferred work of its runs.", Sender);
            return;
        }
        _timeline.DeferredDone();
        _deferredRun += done.Ran - done.Failed;
        _deferredFailed += done.Failed;
        _deferredOwner = null;
        _runDeferredOwed = false;
        TryStartNextWrite();
    }

    private GraphLockStatus Status(GraphLockStatus? since) => new(
        [.. _contexts.Status()],
        _contexts.Orphaned,
        HasWriter,
        _granted,
        _epoch,
        _queued.Count + _nested.Count,
        _writesDone,
        _deferredRun,
        _deferredFailed,
        _writeWait.Summary(since?.WriteWait.Count ?? 0),
        _timeline.Summary(since?.Phases));

    private sealed record PendingWrite(string Reason, IActorRef Requester, long RequestedAt);
}
