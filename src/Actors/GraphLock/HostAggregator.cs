using Akka.Actor;

namespace Actors.GraphLock;

/// <summary>
/// Sums the IoThreads of one host so that a write costs O(hosts) messages, not O(IoThreads):
/// toward the Coordinator it is one context (<c>host:&lt;name&gt;</c>); toward its IoThreads it
/// plays the Coordinator's part, forwarding BeginWrite/EndWrite and reporting their sum (plus
/// the orphaned balance of IoThreads that left) once all reported, and again on every change.
/// </summary>
/// <remarks>
/// In a cluster the Coordinator is a singleton reached through a proxy: the aggregator registers
/// through it, then talks to the Coordinator that answered, and watches it. When that
/// Coordinator dies (its host died, or handed over), the aggregator registers again through the
/// proxy; meanwhile readers inside keep running and parked ones stay parked: Case 1, no write was
/// under way: the new Coordinator grants no write before this host registered and reported
/// (it waits for every member, see <see cref="Coordinator"/>); Case 2, the dead one's write was
/// under way: its readers stay parked until the new Coordinator answers this host's registration
/// (with no writer, they resume). A new Coordinator counts its epochs from zero, so toward its
/// IoThreads the aggregator shifts them past every epoch it used before: a late report of the old
/// Coordinator's epochs can never pass for a report of the new one's.
/// </remarks>
public sealed class HostAggregator : ReceiveActor, IWithTimers
{
    /// <summary>
    /// How often a host registers again with a new Coordinator until it answers: the proxy may
    /// still send the first try to the one that died (it learns of the death on its own).
    /// </summary>
    public static readonly TimeSpan RegisterAgainEvery = TimeSpan.FromMilliseconds(250);

    private readonly string _context;
    // Where the host registers (the Coordinator, or the proxy of the Coordinator singleton), and
    // the Coordinator that answered.
    private readonly IActorRef _registrar;
    private IActorRef _coordinator;
    private readonly ContextTable _iothreads = new();
    private readonly HashSet<string> _awaitingWriteEnded = new(StringComparer.Ordinal);
    private bool _registered;
    private bool _writerActive = true;
    // The Coordinator's epoch, and the epoch told to the IoThreads: the Coordinator's plus an
    // offset that grows when a new Coordinator takes over.
    private long _epoch;
    private long _localEpoch;
    private long _epochOffset;
    private int? _lastReported;
    private bool _writeEndedOwed;

    public HostAggregator(string host, IActorRef coordinator)
    {
        _context = "host:" + host;
        _registrar = coordinator;
        _coordinator = coordinator;

        // ---- from the IoThreads of this host
        Receive<ReaderReport>(report =>
        {
            _iothreads.Report(report.Context, report.Epoch, report.Readers, report.Parked);
            ReportIfComplete();
        });
        Receive<WriteEnded>(ended =>
        {
            if (ended.Epoch == _localEpoch && _awaitingWriteEnded.Remove(ended.Context))
            {
                AcknowledgeIfEnded();
            }
        });
        Receive<RegisterContext>(register =>
        {
            _iothreads.Register(register.Context, register.Ref);
            Context.Watch(register.Ref);
            // Until this host is registered upstream, its IoThreads park too.
            register.Ref.Tell(new ContextRegistered(register.Context, _localEpoch, _writerActive), Self);
        });
        Receive<UnregisterContext>(unregister =>
        {
            if (_iothreads.Unregister(unregister.Context, unregister.Balance))
            {
                IoThreadGone(unregister.Context);
            }
        });
        Receive<Terminated>(terminated =>
        {
            if (_iothreads.Drop(terminated.ActorRef) is { } id)
            {
                IoThreadGone(id);
            }
            else if (terminated.ActorRef.Equals(_coordinator))
            {
                CoordinatorLost();
            }
        });

        // ---- from the Coordinator
        Receive<ContextRegistered>(registered => registered.Context == _context, registered =>
        {
            Timers.Cancel(RegisterAgain.Instance);
            if (!Sender.Equals(_coordinator))
            {
                _coordinator = Sender;
                Context.Watch(_coordinator);
            }
            _registered = true;
            if (registered.WriterActive)
            {
                Begin(registered.Epoch);
            }
            else
            {
                // IoThreads that registered before us were told to park: release them.
                End(registered.Epoch, acknowledge: false);
            }
        });
        Receive<RegisterAgain>(_ => _registrar.Tell(new RegisterContext(_context, Self), Self));
        Receive<BeginWrite>(begin => Begin(begin.Epoch));
        Receive<EndWrite>(end => End(end.Epoch, acknowledge: true));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string host, IActorRef coordinator) => Akka.Actor.Props.Create(() => new HostAggregator(host, coordinator));

    protected override void PreStart()
    {
        Context.Watch(_registrar);
        _registrar.Tell(new RegisterContext(_context, Self), Self);
    }

    /// <summary>
    /// The Coordinator this host reported to is gone. Reached directly, it was the only one: it
    /// stopped counting this host, whose IoThreads must then not admit readers, so the aggregator
    /// stops and takes them with it. Reached through a proxy (a singleton), a new one takes over:
    /// register with it (see the remarks).
    /// </summary>
    private void CoordinatorLost()
    {
        if (_coordinator.Equals(_registrar))
        {
            Context.Stop(Self);
            return;
        }
        Context.Unwatch(_coordinator);
        _coordinator = _registrar;
        _registered = false;
        _writeEndedOwed = false;
        _epochOffset = _localEpoch + 1;
        Self.Tell(RegisterAgain.Instance);
        Timers.StartPeriodicTimer(RegisterAgain.Instance, RegisterAgain.Instance, RegisterAgainEvery);
    }

    private void Begin(long epoch)
    {
        _epoch = epoch;
        _localEpoch = epoch + _epochOffset;
        _writerActive = true;
        _lastReported = null;
        foreach (var iothread in _iothreads.Refs)
        {
            iothread.Tell(new BeginWrite(_localEpoch), Self);
        }
        ReportIfComplete();
    }

    private void End(long epoch, bool acknowledge)
    {
        _epoch = epoch;
        _localEpoch = epoch + _epochOffset;
        _writerActive = false;
        _awaitingWriteEnded.Clear();
        foreach (var id in _iothreads.Ids)
        {
            _awaitingWriteEnded.Add(id);
        }
        foreach (var iothread in _iothreads.Refs)
        {
            iothread.Tell(new EndWrite(_localEpoch), Self);
        }
        _writeEndedOwed = acknowledge;
        AcknowledgeIfEnded();
    }

    /// <summary>Reports the host's sum once every IoThread reported for the epoch, and whenever it changes.</summary>
    private void ReportIfComplete()
    {
        if (!_registered || !_writerActive || !_iothreads.AllReported(_localEpoch))
        {
            return;
        }
        var readers = _iothreads.Readers;
        if (readers != _lastReported)
        {
            _lastReported = readers;
            _coordinator.Tell(new ReaderReport(_context, _epoch, readers, _iothreads.Parked), Self);
        }
    }

    private void AcknowledgeIfEnded()
    {
        if (_writeEndedOwed && _awaitingWriteEnded.Count == 0)
        {
            _writeEndedOwed = false;
            _coordinator.Tell(new WriteEnded(_context, _epoch), Self);
        }
    }

    private void IoThreadGone(string id)
    {
        _awaitingWriteEnded.Remove(id);
        ReportIfComplete();
        AcknowledgeIfEnded();
    }

    private sealed record RegisterAgain
    {
        public static readonly RegisterAgain Instance = new();
    }
}
