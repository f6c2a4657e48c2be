using Akka.Actor;

namespace Actors.GraphLock;

/// <summary>
/// Sums the IoThreads of one host so that a write costs O(hosts) messages, not O(IoThreads):
/// toward the Coordinator it is one context (<c>host:&lt;name&gt;</c>); toward its IoThreads it
/// plays the Coordinator's part, forwarding BeginWrite/EndWrite and reporting their sum (plus
/// the orphaned balance of IoThreads that left) once all reported, and again on every change.
/// </summary>
public sealed class HostAggregator : ReceiveActor
{
    private readonly string _context;
    private readonly IActorRef _coordinator;
    private readonly ContextTable _iothreads = new();
    private readonly HashSet<string> _awaitingWriteEnded = new(StringComparer.Ordinal);
    private bool _registered;
    private bool _writerActive = true;
    private long _epoch;
    private int? _lastReported;
    private bool _writeEndedOwed;

    public HostAggregator(string host, IActorRef coordinator)
    {
        _context = "host:" + host;
        _coordinator = coordinator;

        // ---- from the IoThreads of this host
        Receive<ReaderReport>(report =>
        {
            _iothreads.Report(report.Context, report.Epoch, report.Readers, report.Parked);
            ReportIfComplete();
        });
        Receive<WriteEnded>(ended =>
        {
            if (ended.Epoch == _epoch && _awaitingWriteEnded.Remove(ended.Context))
            {
                AcknowledgeIfEnded();
            }
        });
        Receive<RegisterContext>(register =>
        {
            _iothreads.Register(register.Context, register.Ref);
            Context.Watch(register.Ref);
            // Until this host is registered upstream, its IoThreads park too.
            register.Ref.Tell(new ContextRegistered(register.Context, _epoch, _writerActive), Self);
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
                // The Coordinator stopped counting this host: its IoThreads must not admit readers.
                Context.Stop(Self);
            }
        });

        // ---- from the Coordinator
        Receive<ContextRegistered>(registered => registered.Context == _context, registered =>
        {
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
        Receive<BeginWrite>(begin => Begin(begin.Epoch));
        Receive<EndWrite>(end => End(end.Epoch, acknowledge: true));
    }

    public static Props Props(string host, IActorRef coordinator) => Akka.Actor.Props.Create(() => new HostAggregator(host, coordinator));

    protected override void PreStart()
    {
        Context.Watch(_coordinator);
        _coordinator.Tell(new RegisterContext(_context, Self), Self);
    }

    private void Begin(long epoch)
    {
        _epoch = epoch;
        _writerActive = true;
        _lastReported = null;
        foreach (var iothread in _iothreads.Refs)
        {
            iothread.Tell(new BeginWrite(epoch), Self);
        }
        ReportIfComplete();
    }

    private void End(long epoch, bool acknowledge)
    {
        _epoch = epoch;
        _writerActive = false;
        _awaitingWriteEnded.Clear();
        foreach (var id in _iothreads.Ids)
        {
            _awaitingWriteEnded.Add(id);
        }
        foreach (var iothread in _iothreads.Refs)
        {
            iothread.Tell(new EndWrite(epoch), Self);
        }
        _writeEndedOwed = acknowledge;
        AcknowledgeIfEnded();
    }

    /// <summary>Reports the host's sum once every IoThread reported for the epoch, and whenever it changes.</summary>
    private void ReportIfComplete()
    {
        if (!_registered || !_writerActive || !_iothreads.AllReported(_epoch))
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
}
