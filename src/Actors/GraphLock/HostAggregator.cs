using Actors.Core;
using Actors.Messages;

namespace Actors.GraphLock;

/// <summary>
/// Sums the IoThreads of one host so that a write costs O(hosts) messages, not O(IoThreads):
/// toward the Coordinator it is one context (<c>host:&lt;name&gt;</c>); toward its IoThreads it
/// plays the Coordinator's part, forwarding BeginWrite/EndWrite and reporting their sum (plus
/// the orphaned balance of IoThreads that left) once all reported, and again on every change.
/// </summary>
public sealed class HostAggregator : ActorBase
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
    }

    public static Props Props(string host, IActorRef coordinator) => Core.Props.Create(() => new HostAggregator(host, coordinator));

    protected override void PreStart() => _coordinator.Tell(new RegisterContext(_context, Self), Self);

    protected override bool Receive(object message)
    {
        switch (message)
        {
            // ---- from the IoThreads of this host
            case ReaderReport report:
                _iothreads.Report(report.Context, report.Epoch, report.Readers, report.Parked);
                ReportIfComplete();
                return true;
            case WriteEnded ended:
                if (ended.Epoch == _epoch && _awaitingWriteEnded.Remove(ended.Context))
                {
                    AcknowledgeIfEnded();
                }
                return true;
            case RegisterContext register:
                _iothreads.Register(register.Context, register.Ref);
                Context.Watch(register.Ref);
                // Until this host is registered upstream, its IoThreads park too.
                register.Ref.Tell(new ContextRegistered(register.Context, _epoch, _writerActive), Self);
                return true;
            case UnregisterContext unregister:
                if (_iothreads.Unregister(unregister.Context, unregister.Balance))
                {
                    IoThreadGone(unregister.Context);
                }
                return true;
            case Terminated terminated:
                if (_iothreads.Drop(terminated.ActorRef) is { } id)
                {
                    IoThreadGone(id);
                }
                return true;

            // ---- from the Coordinator
            case ContextRegistered registered when registered.Context == _context:
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
                return true;
            case BeginWrite begin:
                Begin(begin.Epoch);
                return true;
            case EndWrite end:
                End(end.Epoch, acknowledge: true);
                return true;
            default:
                return false;
        }
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
