using System.Collections.Immutable;
using System.Diagnostics;
using Actors.Config;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Persistence;
using Nodes.Runtime;

namespace Benchmarks;

/// <summary>
/// <c>graph-replay</c>: recovery of the block graph from the embedded journal (Akka.Persistence.Sql
/// on SQLite, as a host has it) holding 100 000 lifecycle events (nodes added, then moved back
/// and forth between IoThreads): replayed under their manifests into a fresh
/// <see cref="BlockGraph"/> by a persistent actor, once from the first event and once from the
/// snapshot the graph's owner takes (<see cref="GraphHistory"/>). The aim: under 1 s.
/// </summary>
public static class GraphReplay
{
    private const int Events = 100_000;
    private const int Nodes = 1_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static void Run()
    {
        var dir = Directory.CreateTempSubdirectory("graph-replay-");
        try
        {
            var config = ConfigFactory.ParseString($"host.data-dir = \"{dir.FullName}\"").WithFallback(ConfigFactory.Reference()).Resolve();
            SqliteJournalFile.Prepare(config.GetString("akka.persistence.journal.sql.connection-string"));
            var drivers = DriverRegistry.CreateDefault();
            var graph = new BlockGraph(drivers.Info);
            Use(config, system => Ask(system, drivers, false, new Append(History(graph))));
            Console.WriteLine($"{Events} graph events in {dir.FullName}/graph.db");
            Measure("no snapshot", config, drivers, fromSnapshot: false);
            Use(config, system => Ask(system, drivers, false, new Snapshot(new GraphHistory([.. graph.Compact()]))));
            Measure("from the snapshot", config, drivers, fromSnapshot: true);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Measure(string what, Actors.Config.Config config, DriverRegistry drivers, bool fromSnapshot)
    {
        for (var run = 1; run <= 3; run++)
        {
            Use(config, system =>
            {
                var clock = Stopwatch.StartNew();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (count, nodes) = ((int, int))Ask(system, drivers, fromSnapshot, Count.Instance);
                Console.WriteLine($"replay {what} {run}: {count} events applied, {nodes} nodes, {clock.Elapsed.TotalMilliseconds:0} ms wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:0} ms CPU");
                return true;
            });
        }
    }

    private static IReadOnlyList<IGraphEvent> History(BlockGraph graph)
    {
        var events = new List<IGraphEvent>();
        for (var i = 0; i < Nodes; i++)
        {
            events.AddRange(graph.AddNode($"n{i}", "null-co", ImmutableSortedDictionary<string, string>.Empty, "h1", "io0", new Dictionary<string, NodeName>()));
        }
        for (var i = Nodes; i < Events; i++)
        {
            var node = graph.Get($"n{i % Nodes}");
            events.AddRange(graph.Move(node.Name, node.IoThread == "io0" ? "io1" : "io0"));
        }
        return events;
    }

    private static void Use(Actors.Config.Config config, Func<ActorSystem, object> work)
    {
        var system = AkkaHandover.CreateSystem("bench", config, loggerFactory: null, SqlPersistence.DefaultConfiguration);
        try
        {
            work(system);
        }
        finally
        {
            system.Terminate().Wait();
        }
    }

    private static object Ask(ActorSystem system, DriverRegistry drivers, bool fromSnapshot, object message) =>
        system.ActorOf(Props.Create(() => new Replayer(drivers, fromSnapshot))).Ask(message, Timeout).GetAwaiter().GetResult();

    private sealed record Append(IReadOnlyList<IGraphEvent> Events);

    private sealed record Snapshot(GraphHistory History);

    private sealed record Count
    {
        public static readonly Count Instance = new();
    }

    /// <summary>The graph owner's recovery, alone: its persistence id, its snapshot, its events into a BlockGraph.</summary>
    private sealed class Replayer : ReceivePersistentActor
    {
        private readonly BlockGraph _graph;
        private readonly bool _fromSnapshot;
        private int _count;

        public Replayer(DriverRegistry drivers, bool fromSnapshot)
        {
            _graph = new BlockGraph(drivers.Info);
            _fromSnapshot = fromSnapshot;
            Recover<SnapshotOffer>(offer =>
            {
                foreach (var e in ((GraphHistory)offer.Snapshot).Events)
                {
                    _graph.Apply(e);
                    _count++;
                }
            });
            Recover<IGraphEvent>(e =>
            {
                _graph.Apply(e);
                _count++;
            });
            Command<Count>(_ => Sender.Tell((_count, _graph.Nodes.Count)));
            Command<Append>(append =>
            {
                foreach (var batch in append.Events.Chunk(1000))
                {
                    PersistAll(batch, _ => { });
                }
                DeferAsync(true, done => Sender.Tell(done));
            });
            Command<Snapshot>(snapshot =>
            {
                var asker = Sender;
                SaveSnapshot(snapshot.History);
                Become(() => Command<SaveSnapshotSuccess>(_ => asker.Tell(true)));
            });
        }

        public override string PersistenceId => GraphOwner.GraphPersistenceId;

        public override Recovery Recovery => _fromSnapshot ? Recovery.Default : new Recovery(SnapshotSelectionCriteria.None);
    }
}
