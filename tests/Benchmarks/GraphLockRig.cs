using System.Diagnostics;
using Actors.Core;
using Actors.GraphLock;
using Actors.IoThreads;

namespace Benchmarks;

/// <summary>
/// An actor system with a Coordinator and IoThreads on event loops of their own, each
/// registered (readers take the fast path) before <see cref="Start"/> returns. Public API only:
/// the IoThread instances are reached through <see cref="EventLoop.Owner"/>.
/// </summary>
internal sealed class GraphLockRig : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    private GraphLockRig(ActorSystem system, IActorRef coordinator, IActorRef[] refs, IoThread[] ioThreads)
    {
        System = system;
        Coordinator = coordinator;
        IoThreadRefs = refs;
        IoThreads = ioThreads;
    }

    public ActorSystem System { get; }

    public IActorRef Coordinator { get; }

    public IReadOnlyList<IActorRef> IoThreadRefs { get; }

    public IReadOnlyList<IoThread> IoThreads { get; }

    /// <summary>A write section that changes nothing: what is measured is the lock protocol around it.</summary>
    public static RequestWrite EmptyWrite { get; } = new("benchmark", static _ => Task.CompletedTask);

    public static GraphLockRig Start(int ioThreads, GraphLockOptions options)
    {
        var system = ActorSystem.Create("bench");
        var coordinator = system.ActorOf(Actors.GraphLock.Coordinator.Props(options), "coordinator");
        var refs = new IActorRef[ioThreads];
        var loops = new EventLoop[ioThreads];
        for (var i = 0; i < ioThreads; i++)
        {
            loops[i] = new EventLoop("io" + i, system.Scheduler.Clock);
            refs[i] = IoThread.Start(system, "io" + i, coordinator, options, loops[i]);
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

    /// <summary>Requests a write section and waits until it was unlocked (the Ask of a writer).</summary>
    public WriteCompleted Write(RequestWrite request) =>
        Coordinator.Ask<WriteCompleted>(request, AskTimeout).GetAwaiter().GetResult();

    public GraphLockStatus Status() =>
        Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, AskTimeout).GetAwaiter().GetResult();

    public IoThreadStatus Status(int ioThread) =>
        IoThreadRefs[ioThread].Ask<IoThreadStatus>(QueryIoThread.Instance, AskTimeout).GetAwaiter().GetResult();

    public void Dispose()
    {
        foreach (var ioThread in IoThreadRefs)
        {
            ioThread.Tell(StopIoThread.Instance, Nobody.Instance);
        }
        System.Terminate().GetAwaiter().GetResult();
    }
}
