using System.Collections.Immutable;
using System.Diagnostics;
using Actors.Core;
using Actors.Persistence;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Benchmarks;

/// <summary>
/// <c>graph-replay</c>: recovery of the block graph from a SQLite journal of 100 000 lifecycle
/// events (nodes added, then moved back and forth between IoThreads), read, deserialized under
/// their manifests and applied to a fresh <see cref="BlockGraph"/>. The aim: under 1 s.
/// </summary>
public static class GraphReplay
{
    private const int Events = 100_000;
    private const int Nodes = 1_000;

    public static void Run()
    {
        var dir = Directory.CreateTempSubdirectory("graph-replay-");
        try
        {
            var system = ActorSystem.Create("bench");
            var path = Path.Combine(dir.FullName, "journal.db");
            var drivers = DriverRegistry.CreateDefault();
            Write(new JournalGraphStore(new SqliteJournal(path), system.Serialization), drivers).GetAwaiter().GetResult();
            Console.WriteLine($"{Events} graph events in {path}");
            Measure("no snapshot", () => new JournalGraphStore(new SqliteJournal(path), system.Serialization), drivers);
            var snapshots = new SqliteSnapshotStore(path);
            var withSnapshots = new JournalGraphStore(new SqliteJournal(path), system.Serialization, snapshots);
            var current = new BlockGraph(drivers.Info);
            Replay(withSnapshots, current).GetAwaiter().GetResult();
            withSnapshots.SaveSnapshotAsync(current.Compact()).GetAwaiter().GetResult();
            Measure("from the snapshot", () => new JournalGraphStore(new SqliteJournal(path), system.Serialization, snapshots), drivers);
            system.Terminate().GetAwaiter().GetResult();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Measure(string what, Func<JournalGraphStore> open, DriverRegistry drivers)
    {
        for (var run = 1; run <= 3; run++)
        {
            var store = open();
            var graph = new BlockGraph(drivers.Info);
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var count = Replay(store, graph).GetAwaiter().GetResult();
            Console.WriteLine($"replay {what} {run}: {count} events applied, {graph.Nodes.Count} nodes, {clock.Elapsed.TotalMilliseconds:0} ms wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:0} ms CPU");
        }
    }

    private static async Task Write(JournalGraphStore store, DriverRegistry drivers)
    {
        var graph = new BlockGraph(drivers.Info);
        var batch = new List<IGraphEvent>();
        for (var i = 0; i < Nodes; i++)
        {
            batch.AddRange(graph.AddNode($"n{i}", "null-co", ImmutableSortedDictionary<string, string>.Empty, "h1", "io0", new Dictionary<string, NodeName>()));
        }
        for (var i = Nodes; i < Events; i++)
        {
            var node = graph.Get($"n{i % Nodes}");
            batch.AddRange(graph.Move(node.Name, node.IoThread == "io0" ? "io1" : "io0"));
            if (batch.Count >= 1000)
            {
                await store.AppendAsync(batch);
                batch.Clear();
            }
        }
        await store.AppendAsync(batch);
    }

    private static async Task<int> Replay(JournalGraphStore store, BlockGraph graph)
    {
        var count = 0;
        await foreach (var e in store.ReadAllAsync())
        {
            graph.Apply(e);
            count++;
        }
        return count;
    }
}
