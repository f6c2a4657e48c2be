using Actors.Config;
using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.Persistence.Sql;
using Microsoft.Extensions.Logging;
using Nodes.Disk;
using Nodes.Drivers;
using Nodes.Lifecycle;
using Nodes.Persistence;
using Nodes.Runtime;
using HoconConfig = Actors.Config.Config;

namespace Host.Hosting;

/// <summary>
/// One storage host assembled in an actor system: the Coordinator (the graph lock's writer
/// side), this host's aggregator with the IoThreads on their event loops behind it, the disk
/// backend, the live-node runtime and the <see cref="GraphOwner"/> that runs graph commands and
/// persists them. Front ends (NBD, QMP) use it.
/// </summary>
public sealed class StorageHost : IAsyncDisposable
{
    /// <summary>The actor system's name on every host (a cluster's members share it).</summary>
    public const string SystemName = "actors";

    private bool _ownsSystem;

    private StorageHost(ActorSystem system, StorageHostOptions options, IActorRef coordinator, IActorRef aggregator, GraphRuntime runtime, IActorRef graph, DiskBackend disk, GraphLockOptions lockOptions)
    {
        System = system;
        Options = options;
        Coordinator = coordinator;
        Aggregator = aggregator;
        Runtime = runtime;
        Graph = graph;
        Disk = disk;
        LockOptions = lockOptions;
    }

    public ActorSystem System { get; }

    public StorageHostOptions Options { get; }

    /// <summary>The graph lock's writer side; answers <see cref="QueryGraphLock"/>.</summary>
    public IActorRef Coordinator { get; }

    /// <summary>This host's aggregator: its IoThreads register with it, and it is one context toward the Coordinator.</summary>
    public IActorRef Aggregator { get; }

    /// <summary>The live nodes of this host; requests enter with <see cref="GraphRuntime.RunRequestAsync{T}"/>.</summary>
    public GraphRuntime Runtime { get; }

    /// <summary>Takes graph commands (<c>Nodes.Commands</c>) and <see cref="QueryGraph"/>: the graph's owner, behind its supervisor.</summary>
    public IActorRef Graph { get; }

    public DiskBackend Disk { get; }

    public GraphLockOptions LockOptions { get; }

    /// <summary>
    /// Starts a host in an actor system of its own, made from <paramref name="config"/> (the
    /// resolved tree: our keys and Akka's), its log going to <paramref name="loggerFactory"/>;
    /// disposing the host terminates the system.
    /// </summary>
    public static async Task<StorageHost> StartAsync(HoconConfig config, StorageHostOptions options, ILoggerFactory? loggerFactory = null)
    {
        if (config.GetString("akka.persistence.journal.sql.provider-name").StartsWith("SQLite", StringComparison.Ordinal))
        {
            SqliteJournalFile.Prepare(config.GetString("akka.persistence.journal.sql.connection-string"));
        }
        var system = AkkaHandover.CreateSystem(SystemName, config, loggerFactory, SqlPersistence.DefaultConfiguration);
        try
        {
            var host = await StartAsync(system, config, options);
            host._ownsSystem = true;
            return host;
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }

    /// <summary>
    /// Starts the host's actors and IoThreads in <paramref name="system"/>, configured by
    /// <paramref name="config"/> (the resolved tree Akka was given), and recovers the graph.
    /// </summary>
    public static async Task<StorageHost> StartAsync(ActorSystem system, HoconConfig config, StorageHostOptions options)
    {
        var lockOptions = options.LockOptions ?? GraphLockOptions.FromConfig(config);
        var host = config.GetString("actors.host");
        if (system is ExtendedActorSystem { Provider: Akka.Cluster.IClusterActorRefProvider })
        {
            // The graph's owner may start here in a failover: the journal is opened and read once now, not only then.
            system.ActorOf(GraphJournalWarmUp.Props(), "graph-journal-warm-up");
        }
        var coordinator = StartOnePerCluster(system, Actors.GraphLock.Coordinator.Props(lockOptions), "coordinator");
        var aggregator = system.ActorOf(HostAggregator.Props(host, coordinator), HostAggregator.Name);
        Directory.CreateDirectory(options.DataDir);
        var disk = new DiskBackend(options.ImagesDir);
        var drivers = DriverRegistry.CreateDefault(disk, options.TlsCreds);
        drivers.RegisterFromConfig(config);
        options.Drivers?.Invoke(drivers);
        var runtime = new GraphRuntime(host, drivers);
        foreach (var name in options.IoThreads)
        {
            runtime.AddIoThread(await IoThread.StartAsync(system, name, aggregator, lockOptions));
        }
        var legacy = options.LegacyHistory ?? (() => LegacyHistory(config, options.DataDir, system));
        var settings = new GraphOwnerSettings(config.GetInt("actors.persistence.snapshot-every"), legacy);
        var graph = StartOnePerCluster(system, GraphOwner.SupervisedProps(coordinator, drivers, settings), "graph");
        // Completes once the owner recovered the graph and opened this host's nodes.
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(HostNodes.Props(runtime, options.IoThreads.FirstOrDefault(), graph, opened), HostNodes.Name);
        await opened.Task.WaitAsync(options.RecoveryTimeout);
        return new StorageHost(system, options, coordinator, aggregator, runtime, graph, disk, lockOptions);
    }

    /// <summary>
    /// An actor the cluster has one of (the Coordinator, the graph's owner): this host's own when it
    /// runs alone; in a cluster, a singleton on the oldest member (Akka's
    /// <see cref="ClusterSingletonManager"/> on every host), reached through a
    /// <see cref="ClusterSingletonProxy"/> that follows it when it moves to another host.
    /// </summary>
    private static IActorRef StartOnePerCluster(ActorSystem system, Props props, string name)
    {
        if (system is not ExtendedActorSystem { Provider: Akka.Cluster.IClusterActorRefProvider })
        {
            return system.ActorOf(props, name);
        }
        system.ActorOf(ClusterSingletonManager.Props(props, PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), name);
        return system.ActorOf(ClusterSingletonProxy.Props($"/user/{name}", ClusterSingletonProxySettings.Create(system)), $"{name}-proxy");
    }

    /// <summary>
    /// The graph's history in the journal the engine wrote before Akka.NET, imported once into an
    /// empty journal (the old one is kept): the PostgreSQL journal an old configuration names
    /// (<c>actors.persistence.journal = postgres</c>), else the data dir's <c>journal.db</c>.
    /// </summary>
    private static IReadOnlyList<IGraphEvent>? LegacyHistory(HoconConfig config, string dataDir, ActorSystem system) =>
        config.GetString("actors.persistence.journal", "sqlite") == "postgres"
            ? LegacyGraphJournal.ReadPostgres(
                config.GetString("actors.persistence.postgres.connection-string"),
                config.GetString("actors.persistence.postgres.schema", "public"),
                system.Serialization)
            : LegacyGraphJournal.ReadSqlite(Path.Combine(dataDir, LegacyGraphJournal.FileName), system.Serialization);

    /// <summary>Starts an IoThread (QMP <c>object-add iothread</c>) and makes it available to nodes.</summary>
    public async Task<IoThread> AddIoThreadAsync(string name)
    {
        var io = await IoThread.StartAsync(System, name, Aggregator, LockOptions);
        Runtime.AddIoThread(io);
        return io;
    }

    /// <summary>
    /// Stops an IoThread (QMP <c>object-del</c>): first, in a write section, it is taken away from
    /// the runtime (refused while a node runs on it), so no node can land on a stopping loop.
    /// </summary>
    public async Task RemoveIoThreadAsync(string name, TimeSpan timeout)
    {
        await Graph.Ask<WriteCompleted>(new Nodes.Commands.RemoveIoThread(Runtime.Host, name), timeout);
        await IoThread.StopAsync(System, name, timeout);
    }

    /// <summary>Terminates the actor system when the host made it (its IoThreads and nodes stop with it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsSystem)
        {
            await System.Terminate();
        }
    }

    /// <summary>The graph-lock state of one IoThread of this host.</summary>
    public Task<IoThreadStatus> IoThreadStatusAsync(string name, TimeSpan timeout) =>
        System.ActorSelection($"/system/iothreads/{name}").Ask<IoThreadStatus>(QueryIoThread.Instance, timeout);
}
