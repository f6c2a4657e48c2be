using System.Collections.Immutable;
using Actors.Config;
using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.TestKit;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Runtime;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// One host in a test's actor system: a Coordinator, two IoThreads (io0, io1) on their own
/// threads, the live-node runtime and the graph's owner (supervised, as a host runs it), with
/// the sample drivers registered (memory in code, counter through HOCON as a user would).
/// </summary>
internal sealed class NodeHarness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>How often a scenario checks a condition it waits for (Akka.TestKit polls slowly by default).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    private readonly ActorSystem _system;
    private readonly Dictionary<string, IActorRef> _ioThreads = [];

    /// <param name="kit">The test, for its waits.</param>
    /// <param name="history">Events already in the graph's journal when the host starts (a host that ran before).</param>
    /// <param name="disk">The disk backend, for file nodes.</param>
    /// <param name="system">Another actor system than the test's (a second incarnation of the host).</param>
    /// <param name="drivers">Adds drivers a scenario needs.</param>
    /// <param name="settings">How the graph's owner persists.</param>
    public NodeHarness(TestKitBase kit, IReadOnlyList<IGraphEvent>? history = null, Nodes.Disk.DiskBackend? disk = null, ActorSystem? system = null, Action<DriverRegistry>? drivers = null, GraphOwnerSettings? settings = null)
    {
        _system = system ?? kit.Sys;
        if (history is not null)
        {
            GraphJournal.Append(_system, history);
        }
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
            var io = IoThread.StartAsync(_system, name, Coordinator, options).WaitAsync(Timeout).GetAwaiter().GetResult();
            Runtime.AddIoThread(io);
        }
        Graph = _system.ActorOf(GraphOwner.SupervisedProps(Coordinator, registry, settings ?? GraphOwnerSettings.Default), "graph");
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _system.ActorOf(HostNodes.Props(Runtime, "io0", Graph, opened), "host-nodes");
        opened.Task.WaitAsync(Timeout).GetAwaiter().GetResult();
    }

    public IActorRef Coordinator { get; }

    /// <summary>The graph's owner behind its supervisor: graph commands and <see cref="QueryGraph"/>.</summary>
    public IActorRef Graph { get; }

    public GraphRuntime Runtime { get; }

    public GraphLockMonitor Monitor { get; }

    /// <summary>Every event the graph's journal holds, in order.</summary>
    public IReadOnlyList<IGraphEvent> Events => GraphJournal.Read(_system);

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

    /// <summary>Holds a write section until the returned gate opens; <c>Entered</c> completes once the section is granted.</summary>
    public (Task Entered, TaskCompletionSource Gate, Task Done) HoldWriteSection()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _system.ActorOf(Akka.Actor.Props.Create(() => new HeldWrite(Coordinator, entered, gate.Task, done)));
        return (entered.Task, gate, done.Task);
    }

    public IoThreadStatus Status(string ioThread) =>
        _system.ActorSelection($"/system/iothreads/{ioThread}").Ask<IoThreadStatus>(QueryIoThread.Instance, Timeout).GetAwaiter().GetResult();

    public static ImmutableSortedDictionary<string, string> Options(string options) => options.Length == 0
        ? ImmutableSortedDictionary<string, string>.Empty
        : options.Split(',').Select(kv => kv.Split('=', 2)).ToImmutableSortedDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
}

/// <summary>A writer that takes the write section and holds it until the test opens its gate.</summary>
internal sealed class HeldWrite : ReceiveActor
{
    public HeldWrite(IActorRef coordinator, TaskCompletionSource entered, Task gate, TaskCompletionSource done)
    {
        Receive<WriteGranted>(granted =>
        {
            entered.SetResult();
            gate.PipeTo(Self, success: () => new WriteSection(granted.Epoch));
        });
        Receive<WriteSection>(section =>
        {
            coordinator.Tell(section.Release(runDeferred: false));
            done.SetResult();
            Context.Stop(Self);
        });
        coordinator.Tell(new RequestWrite("held by the test"));
    }
}
