using System.Collections.Immutable;
using Actors.Config;
using Actors.Core;
using Actors.GraphLock;
using Actors.IoThreads;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Runtime;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// One host in a test's actor system: a Coordinator, two IoThreads (io0, io1) on their own
/// threads, the live-node runtime and the GraphService, with the sample drivers registered
/// (memory in code, counter through HOCON as a user would).
/// </summary>
internal sealed class NodeHarness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Actors.TestKit.TestKitBase _kit;
    private readonly ActorSystem _system;

    /// <param name="kit">The test, for its waits.</param>
    /// <param name="journal">Where the graph persists (in memory unless given).</param>
    /// <param name="disk">The disk backend, for file nodes.</param>
    /// <param name="system">Another actor system than the test's (a second incarnation of the host).</param>
    /// <param name="drivers">Adds drivers a scenario needs.</param>
    public NodeHarness(Actors.TestKit.TestKitBase kit, IGraphJournal? journal = null, Nodes.Disk.DiskBackend? disk = null, ActorSystem? system = null, Action<DriverRegistry>? drivers = null)
    {
        _kit = kit;
        _system = system ?? kit.Sys;
        Journal = journal ?? new InMemoryGraphJournal();
        Monitor = new GraphLockMonitor();
        var options = new GraphLockOptions(DebugAssertions: true, Monitor: Monitor);
        Coordinator = _system.ActorOf(Actors.GraphLock.Coordinator.Props(options), "coordinator");
        var registry = DriverRegistry.CreateDefault(disk);
        registry.Register(DriverInfo.Protocol("memory"), s => new Samples.MemoryNode(s));
        registry.RegisterFromConfig(ConfigFactory.ParseString("""nodes.drivers.counter { type = "Nodes.Tests.Samples.CountingFilter, Nodes.Tests", kind = filter }"""));
        drivers?.Invoke(registry);
        Runtime = new GraphRuntime("h1", registry);
        foreach (var name in new[] { "io0", "io1" })
        {
            var loop = new EventLoop(name, _system.Scheduler.Clock);
            IoThread.Start(_system, name, Coordinator, options, loop);
            kit.AwaitCondition(() => loop.Owner is IoThread, Timeout);
            Runtime.AddIoThread((IoThread)loop.Owner!);
        }
        Graph = _system.ActorOf(GraphService.Props(Coordinator, Runtime, Journal), "graph");
    }

    public IActorRef Coordinator { get; }

    public IActorRef Graph { get; }

    public GraphRuntime Runtime { get; }

    public IGraphJournal Journal { get; }

    public GraphLockMonitor Monitor { get; }

    public Task<WriteCompleted> Run(IGraphCommand command) => Graph.Ask<WriteCompleted>(command, Timeout);

    public Task<WriteCompleted> Add(string node, string driver, string options = "", string ioThread = "io0", params (string Role, string Child)[] children) =>
        Run(new AddNode(node, driver, Options(options), "h1", ioThread, children.ToImmutableSortedDictionary(c => c.Role, c => c.Child)));

    public GraphSnapshot Snapshot() => Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout).GetAwaiter().GetResult();

    public Task<T> Request<T>(string node, Func<BlockNode, ValueTask<T>> request) => Runtime.RunRequestAsync(node, request).AsTask();

    public Task Read(string node, long offset, byte[] buffer) => Request(node, async n =>
    {
        await n.ReadAsync(offset, buffer);
        return true;
    });

    public Task Write(string node, long offset, byte[] data) => Request(node, async n =>
    {
        await n.WriteAsync(offset, data, fua: false);
        return true;
    });

    /// <summary>Opens a write section whose body waits for the returned gate; completes once the section is entered.</summary>
    public (Task Entered, TaskCompletionSource Gate, Task<WriteCompleted> Done) HoldWriteSection()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = Coordinator.Ask<WriteCompleted>(new RequestWrite("held by the test", async _ =>
        {
            entered.SetResult();
            await gate.Task;
        }), Timeout);
        return (entered.Task, gate, done);
    }

    public IoThreadStatus Status(string ioThread) =>
        _system.ResolveActorRef(ActorPath.Parse($"{_system.Address}/system/iothreads/{ioThread}"))!
            .Ask<IoThreadStatus>(QueryIoThread.Instance, Timeout).GetAwaiter().GetResult();

    public static ImmutableSortedDictionary<string, string> Options(string options) => options.Length == 0
        ? ImmutableSortedDictionary<string, string>.Empty
        : options.Split(',').Select(kv => kv.Split('=', 2)).ToImmutableSortedDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
}
