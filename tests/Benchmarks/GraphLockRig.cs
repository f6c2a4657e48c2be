using System.Diagnostics;
using Actors.Config;
using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;

namespace Benchmarks;

/// <summary>
/// An actor system with a Coordinator and IoThreads on event loops of their own, each
/// registered (readers take the fast path) before <see cref="Start"/> returns. Public API only:
/// the IoThread instances are reached through <see cref="EventLoop.Owner"/>.
/// </summary>
internal sealed class GraphLockRig : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private readonly IActorRef _writer;

    private GraphLockRig(ActorSystem system, IActorRef coordinator, IActorRef[] refs, IoThread[] ioThreads)
    {
        System = system;
        Coordinator = coordinator;
        _writer = system.ActorOf(Props.Create(() => new EmptyWriter(coordinator)), "writer");
        IoThreadRefs = refs;
        IoThreads = ioThreads;
    }

    public ActorSystem System { get; }

    public IActorRef Coordinator { get; }

    public IReadOnlyList<IActorRef> IoThreadRefs { get; }

    public IReadOnlyList<IoThread> IoThreads { get; }

    public static GraphLockRig Start(int ioThreads, GraphLockOptions options)
    {
        var system = AkkaHandover.CreateSystem("bench", ConfigFactory.Reference().Resolve(), loggerFactory: null);
        var coordinator = system.ActorOf(Actors.GraphLock.Coordinator.Props(options), "coordinator");
        var refs = new IActorRef[ioThreads];
        var loops = new EventLoop[ioThreads];
        for (var i = 0; i < ioThreads; i++)
        {
            loops[i] = new EventLoop("io" + i);
            refs[i] = IoThread.SpawnAsync(system, "io" + i, coordinator, options, loops[i]).GetAwaiter().GetResult();
        }
        // An IoThread parks its readers until the Coordinator answered its registration; wait
        // for that, so that a benchmark never measures the parking of a not-yet-registered one.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
        for (var i = 0; i < ioThreads; i++)
        {
            while (refs[i].Ask<IoThreadStatus>(QueryIoThread.Instance, AskTimeout).GetAwaiter().GetResult().WriterActive)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"IoThread 'io{i}' did not register with the Coordinator within 10 s.");
                }
                Thread.Sleep(1);
            }
        }
        // The status reply happened after PreStart set Owner on the loop thread, and the Ask
        // completion orders it before this read.
        var instances = loops.Select(l => (IoThread)l.Owner!).ToArray();
        return new GraphLockRig(system, coordinator, refs, instances);
    }

    /// <summary>
    /// Takes a write section that changes nothing and releases it at once (what is measured is
    /// the lock protocol around it); returns when it was granted, with the grant's timestamp.
    /// </summary>
    public WriteEntered Write() =>
        _writer.Ask<WriteEntered>(EmptyWriter.Write.Instance, AskTimeout).GetAwaiter().GetResult();

    public GraphLockStatus Status() =>
        Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, AskTimeout).GetAwaiter().GetResult();

    public IoThreadStatus Status(int ioThread) =>
        IoThreadRefs[ioThread].Ask<IoThreadStatus>(QueryIoThread.Instance, AskTimeout).GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var ioThread in IoThreadRefs)
        {
            ioThread.Tell(StopIoThread.Instance, ActorRefs.NoSender);
        }
        System.Terminate().GetAwaiter().GetResult();
    }
}

/// <summary>A write section was granted at <paramref name="EnteredAt"/> (a Stopwatch timestamp), after <paramref name="Waited"/>.</summary>
internal sealed record WriteEntered(long EnteredAt, TimeSpan Waited);

/// <summary>The benchmarks' writer: on each <see cref="Write"/> it takes a write section, leaves it at once, and tells the asker when it entered.</summary>
internal sealed class EmptyWriter : ReceiveActor
{
    private readonly Queue<IActorRef> _askers = new();

    public EmptyWriter(IActorRef coordinator)
    {
        Receive<Write>(_ =>
        {
            _askers.Enqueue(Sender);
            coordinator.Tell(new RequestWrite("benchmark"));
        });
        Receive<WriteGranted>(granted =>
        {
            var enteredAt = Stopwatch.GetTimestamp();
            coordinator.Tell(new ReleaseWrite(granted.Epoch, RunDeferred: false));
            _askers.Dequeue().Tell(new WriteEntered(enteredAt, granted.Waited));
        });
    }

    public sealed record Write
    {
        public static readonly Write Instance = new();
    }
}
