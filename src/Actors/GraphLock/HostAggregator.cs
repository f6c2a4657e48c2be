using Actors.IoThreads;
using Actors.Singletons;
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
/// through it (<see cref="Registration"/>), then talks to the Coordinator that answered, and
/// watches it. When that Coordinator dies (its host died, or handed over), the aggregator
/// registers again, with the new one as soon as it announces itself; meanwhile readers inside keep running and parked ones stay parked: Case 1, no write was
/// under way: the new Coordinator grants no write before this host registered and reported
/// (it waits for every member, see <see cref="Coordinator"/>); Case 2, the dead one's write was
/// under way: its readers stay parked until the new Coordinator answers this host's registration
/// (with no writer, they resume). A new Coordinator counts its epochs from zero, so toward its
/// IoThreads the aggregator shifts them past every epoch it used before: a late report of the old
/// Coordinator's epochs can never pass for a report of the new one's.
/// </remarks>
public sealed class HostAggregator : ReceiveActor, IWithTimers
{
    /// <summary>Its name under /user on every host: a new Coordinator announces itself to it.</summary>
    public const string Name = "host-aggregator";

    private readonly string _context;
    // With the Coordinator, or the proxy of the Coordinator singleton; then the Coordinator that answered.
    private readonly Registration _registration;
    private readonly ContextTable _iothreads = new();
    private readonly HashSet<string> _awaitingWriteEnded = new(StringComparer.Ordinal);
    // This host's IoThreads (all of them: an aggregator only has its own host's), and those that
    // acknowledged the last EndWrite: the next write may stop their readers directly.
    private readonly Dictionary<string, IoThread> _local = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stoppable = new(StringComparer.Ordinal);
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
        _registration = new Registration(Context, Timers, coordinator, () => new RegisterContext(_context, Self));

        // ---- from the IoThreads of this host
        Receive<ReaderReport>(report =>
        {
            _iothreads.Report(report.Context, report.Epoch, report.Readers, report.Parked);
            ReportIfComplete(report.Epoch == _localEpoch ? report.Left : null);
        });
        Receive<WriteEnded>(ended =>
        {
            if (ended.Epoch == _localEpoch && !_writerActive && _local.ContainsKey(ended.Context))
            {
                _stoppable.Add(ended.Context);
            }
            if (ended.Epoch == _localEpoch && _awaitingWriteEnded.Remove(ended.Context))
            {
                AcknowledgeIfEnded();
            }
        });
        Receive<RegisterContext>(register =>
        {
            _iothreads.Register(register.Context, register.Ref);
            // Stoppable only once it acknowledged an EndWrite: until then it parks on its own.
            _stoppable.Remove(register.Context);
            if (register.Local is { } local)
            {
                _local[register.Context] = local;
            }
            else
            {
                _local.Remove(register.Context);
            }
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
            else if (terminated.ActorRef.Equals(_registration.Registrar))
            {
                // The Coordinator itself (a lone host's) or its proxy: no other will answer.
                // This host's IoThreads must then not admit readers, so they stop with it.
                Context.Stop(Self);
            }
            else if (_registration.Lost(terminated))
            {
                ForgetCoordinator();
            }
        });

        // ---- from the Coordinator
        Receive<ContextRegistered>(registered => registered.Context == _context, registered =>
        {
            _registration.Answered(Sender);
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
        Receive<Registration.Tick>(_ => _registration.RegisterAgain());
        Receive<SingletonStarted>(_ =>
        {
            if (_registration.Announced(Sender))
            {
                ForgetCoordinator();
            }
        });
        // Only from the Coordinator registered with: one that was left may still send a few.
        Receive<BeginWrite>(_ => _registered && Sender.Equals(_registration.Service), begin => Begin(begin.Epoch));
        Receive<EndWrite>(_ => _registered && Sender.Equals(_registration.Service), end => End(end.Epoch, acknowledge: true));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string host, IActorRef coordinator) => Akka.Actor.Props.Create(() => new HostAggregator(host, coordinator));

    protected override void PreStart()
    {
        Context.Watch(_registration.Registrar);
        _registration.Start();
    }

    /// <summary>
    /// The Coordinator this host reported to is gone or replaced, and a new one takes over (see
    /// the remarks): nothing is reported until it answers, and its epochs count past every epoch
    /// told to the IoThreads so far.
    /// </summary>
    private void ForgetCoordinator()
    {
        _registered = false;
        _writeEndedOwed = false;
        _epochOffset = _localEpoch + 1;
    }

    private void Begin(long epoch)
    {
        _epoch = epoch;
        _localEpoch = epoch + _epochOffset;
        _writerActive = true;
        _lastReported = null;
        StopReadersDirectly();
        foreach (var iothread in _iothreads.Refs)
        {
            iothread.Tell(new BeginWrite(_localEpoch), Self);
        }
        ReportIfComplete();
    }

    /// <summary>
    /// Stops new readers on the IoThreads that acknowledged the last EndWrite without waiting
    /// for their loops to run (<see cref="IoThread.StopReaders"/>): the stop, one process-wide
    /// barrier, then their counts, taken as their first reports for the epoch. A loop that is
    /// busy or asleep then holds up the write only if a reader of its own is still inside. Each
    /// still gets BeginWrite, and its own reports (later, so newer) replace the count.
    /// </summary>
    private void StopReadersDirectly()
    {
        if (_stoppable.Count == 0)
        {
            return;
        }
        foreach (var id in _stoppable)
        {
            _local[id].StopReaders(_localEpoch);
        }
        Interlocked.MemoryBarrierProcessWide();
        foreach (var id in _stoppable)
        {
            _iothreads.Report(id, _localEpoch, _local[id].ReadersSeen, parked: 0);
        }
        _stoppable.Clear();
    }

    private void End(long epoch, bool acknowledge)
    {
        _epoch = epoch;
        _localEpoch = epoch + _epochOffset;
        _writerActive = false;
        _stoppable.Clear();
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

    /// <summary>
    /// Reports the host's sum once every IoThread reported for the epoch, and whenever it changes,
    /// naming the reader that <paramref name="left"/> if that changed it.
    /// </summary>
    private void ReportIfComplete(DrainReader? left = null)
    {
        if (!_registered || !_writerActive || !_iothreads.AllReported(_localEpoch))
        {
            return;
        }
        var readers = _iothreads.Readers;
        if (readers != _lastReported)
        {
            _lastReported = readers;
            _registration.Service!.Tell(new ReaderReport(_context, _epoch, readers, _iothreads.Parked, left), Self);
        }
    }

    private void AcknowledgeIfEnded()
    {
        if (_writeEndedOwed && _awaitingWriteEnded.Count == 0)
        {
            _writeEndedOwed = false;
            _registration.Service!.Tell(new WriteEnded(_context, _epoch), Self);
        }
    }

    private void IoThreadGone(string id)
    {
        _local.Remove(id);
        _stoppable.Remove(id);
        _awaitingWriteEnded.Remove(id);
        ReportIfComplete();
        AcknowledgeIfEnded();
    }
}
