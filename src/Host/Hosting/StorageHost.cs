using Actors.Core;
using Actors.GraphLock;
using Actors.IoThreads;
using Actors.Persistence;
using Nodes.Disk;
using Nodes.Drivers;
using Nodes.Lifecycle;
using Nodes.Runtime;

namespace Host.Hosting;

/// <summary>
/// One storage host assembled: the Coordinator (the graph's only writer), IoThreads on their
/// event loops, the disk backend rooted in the data dir, the graph's journal, the live-node
/// runtime and the GraphService that runs graph commands. Front ends (NBD, QMP) use it.
/// </summary>
public sealed class StorageHost
{
    private StorageHost(ActorSystem system, StorageHostOptions options, IActorRef coordinator, GraphRuntime runtime, IActorRef graph, DiskBackend disk, GraphLockOptions lockOptions)
    {
        System = system;
        Options = options;
        Coordinator = coordinator;
        Runtime = runtime;
        Graph = graph;
        Disk = disk;
        LockOptions = lockOptions;
    }

    public ActorSystem System { get; }

    public StorageHostOptions Options { get; }

    /// <summary>The graph's only writer; answers <see cref="QueryGraphLock"/>.</summary>
    public IActorRef Coordinator { get; }

    /// <summary>The live nodes of this host; requests enter with <see cref="GraphRuntime.RunRequestAsync{T}"/>.</summary>
    public GraphRuntime Runtime { get; }

    /// <summary>Takes graph commands (<c>Nodes.Commands</c>) and <see cref="QueryGraph"/>.</summary>
    public IActorRef Graph { get; }

    public DiskBackend Disk { get; }

    public GraphLockOptions LockOptions { get; }

    /// <summary>Starts the host's actors and IoThreads in <paramref name="system"/> and recovers the graph from its journal.</summary>
    public static async Task<StorageHost> StartAsync(ActorSystem system, StorageHostOptions options)
    {
        var lockOptions = GraphLockOptions.FromConfig(system.Config);
        var coordinator = system.ActorOf(Actors.GraphLock.Coordinator.Props(lockOptions), "coordinator");
        Directory.CreateDirectory(options.DataDir);
        Directory.CreateDirectory(options.ImagesDir);
        var disk = new DiskBackend(options.ImagesDir);
        var drivers = DriverRegistry.CreateDefault(disk);
        drivers.RegisterFromConfig(system.Config);
        var runtime = new GraphRuntime(system.Address.Host, drivers);
        foreach (var name in options.IoThreads)
        {
            runtime.AddIoThread(await IoThread.StartAsync(system, name, coordinator, lockOptions));
        }
        var persistence = Persistence.Get(system);
        var journal = new JournalGraphStore(persistence.Journal, system.Serialization, persistence.SnapshotStore, persistence.Settings.SnapshotEvery);
        var graph = system.ActorOf(GraphService.Props(coordinator, runtime, journal), "graph");
        // Answered once recovery is done; a failed recovery fails the start, naming its reason.
        await graph.Ask<GraphSnapshot>(QueryGraph.Instance, options.RecoveryTimeout);
        return new StorageHost(system, options, coordinator, runtime, graph, disk, lockOptions);
    }

    /// <summary>Starts an IoThread (QMP <c>object-add iothread</c>) and makes it available to nodes.</summary>
    public async Task<IoThread> AddIoThreadAsync(string name)
    {
        var io = await IoThread.StartAsync(System, name, Coordinator, LockOptions);
        Runtime.AddIoThread(io);
        return io;
    }

    /// <summary>
    /// Stops an IoThread (QMP <c>object-del</c>): first, in a write section, it is taken away from
    /// the runtime (refused while a node runs on it), so no node can land on a stopping loop.
    /// </summary>
    public async Task RemoveIoThreadAsync(string name, TimeSpan timeout)
    {
        await Coordinator.Ask<WriteCompleted>(new RequestWrite($"remove IoThread '{name}'", _ =>
        {
            Runtime.RemoveIoThread(name);
            return Task.CompletedTask;
        }), timeout);
        await IoThread.StopAsync(System, name, timeout);
    }
}
