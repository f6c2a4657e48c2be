using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Tests.Persistence;

/// <summary>
/// What the graph's owner needs from Akka.Persistence.Sql, run against each database (SQLite,
/// PostgreSQL): a test class calls these from its own facts.
/// </summary>
internal static class GraphJournalScenarios
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static readonly Dictionary<string, DriverInfo> Drivers = new()
    {
        ["file"] = DriverInfo.Protocol("file"),
        ["null-co"] = DriverInfo.Protocol("null-co"),
        ["raw"] = DriverInfo.Format("raw"),
        ["throttle"] = DriverInfo.Filter("throttle"),
    };

    public static BlockGraph NewGraph() => new(d => Drivers.GetValueOrDefault(d));

    /// <summary>
    /// Events, then a snapshot, then more events, persisted in one actor system; a second
    /// system on the same database recovers the snapshot and exactly the events after it,
    /// and rebuilds the same graph.
    /// </summary>
    public static async Task Persisted_events_and_snapshot_are_recovered_by_the_next_system(Akka.TestKit.Xunit2.TestKit kit, string persistenceId)
    {
        var graph = NewGraph();
        var before = Events(
            graph.AddNode("file0", "file", Options(("filename", "disk0.img")), "host1", "iothread0", new Dictionary<string, NodeName>()),
            graph.AddNode("raw0", "raw", Options(("size", "1M")), "host1", "iothread0", new Dictionary<string, NodeName> { ["file"] = "file0" }),
            graph.AddExport("e0", "raw0", "disk0", writable: true));
        var snapshot = new GraphHistory([.. graph.Compact()]);
        var after = Events(
            graph.InsertFilter("thr0", "throttle", Options(("iops-total", "100")), "file0"),
            graph.Move("raw0", "iothread1"),
            graph.AddNode("null0", "null-co", Options(), "host1", "iothread0", new Dictionary<string, NodeName>()),
            graph.DeleteNode("null0"));

        await WithSystemAsync(kit, "first", async system =>
        {
            var recorder = system.ActorOf(GraphRecorder.Props(persistenceId, ActorRefs.Nobody));
            await recorder.Ask<GraphRecorder.Recovered>(GraphRecorder.GetRecovered.Instance, Timeout);
            Assert.Equal(before.Length, (await recorder.Ask<GraphRecorder.Recorded>(new GraphRecorder.Record(before), Timeout)).LastSequenceNr);
            Assert.Equal(before.Length, (await recorder.Ask<GraphRecorder.SnapshotTaken>(new GraphRecorder.TakeSnapshot(snapshot), Timeout)).SequenceNr);
            await recorder.Ask<GraphRecorder.Recorded>(new GraphRecorder.Record(after), Timeout);
        });

        var second = kit.Sys.ActorOf(GraphRecorder.Props(persistenceId, kit.TestActor));
        var recovered = await second.Ask<GraphRecorder.Recovered>(GraphRecorder.GetRecovered.Instance, Timeout);

        Assert.Equal(before.Length, recovered.SnapshotSequenceNr);
        Assert.Equal(before.Length + after.Length, recovered.LastSequenceNr);
        Assert.Equal(Json(kit, snapshot.Events), Json(kit, recovered.Snapshot!.Events));
        Assert.Equal(Json(kit, after), Json(kit, recovered.Events));
        var rebuilt = NewGraph();
        foreach (var e in recovered.Snapshot.Events.Concat(recovered.Events))
        {
            rebuilt.Apply(e);
        }
        Assert.Equal(Json(kit, graph.Compact()), Json(kit, rebuilt.Compact()));
        Assert.Equal(["null0"], rebuilt.PendingUnrefs);
    }

    /// <summary>
    /// The fence of DESIGN §7: two actors own one stream; the second to write a sequence number
    /// fails (Akka calls OnPersistFailure, which stops it) and nothing of its write is stored.
    /// </summary>
    public static async Task A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops(Akka.TestKit.Xunit2.TestKit kit, string persistenceId)
    {
        var first = kit.Sys.ActorOf(GraphRecorder.Props(persistenceId, kit.TestActor));
        var second = kit.Sys.ActorOf(GraphRecorder.Props(persistenceId, kit.TestActor));
        await first.Ask<GraphRecorder.Recovered>(GraphRecorder.GetRecovered.Instance, Timeout);
        await second.Ask<GraphRecorder.Recovered>(GraphRecorder.GetRecovered.Instance, Timeout);
        kit.Watch(second);

        var stored = await first.Ask<GraphRecorder.Recorded>(new GraphRecorder.Record([new NodeAdded("a", "null-co", Options(), "h", "io0")]), Timeout);
        second.Tell(new GraphRecorder.Record([new NodeAdded("b", "null-co", Options(), "h", "io0"), new NodeReleased("b")]));

        Assert.Equal(1, stored.LastSequenceNr);
        var failed = await kit.ExpectMsgAsync<GraphRecorder.PersistFailed>(Timeout);
        Assert.Equal(1, failed.SequenceNr);
        await kit.ExpectTerminatedAsync(second, Timeout);
        var third = kit.Sys.ActorOf(GraphRecorder.Props(persistenceId, kit.TestActor));
        var recovered = await third.Ask<GraphRecorder.Recovered>(GraphRecorder.GetRecovered.Instance, Timeout);
        Assert.Equal([new NodeAdded("a", "null-co", Options(), "h", "io0").Node], recovered.Events.Cast<NodeAdded>().Select(e => e.Node));
    }

    public static ImmutableSortedDictionary<string, string> Options(params (string Key, string Value)[] options) =>
        options.ToImmutableSortedDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);

    /// <summary>Runs <paramref name="body"/> in a new actor system with the kit's config, and waits until that system is gone.</summary>
    public static async Task WithSystemAsync(Akka.TestKit.Xunit2.TestKit kit, string name, Func<ActorSystem, Task> body)
    {
        var system = ActorSystem.Create(name, kit.Sys.Settings.Config);
        try
        {
            await body(system);
        }
        finally
        {
            await system.Terminate().WaitAsync(Timeout);
        }
    }

    private static ImmutableArray<IGraphEvent> Events(params IReadOnlyList<IGraphEvent>[] batches) => [.. batches.SelectMany(b => b)];

    private static List<string> Json(Akka.TestKit.Xunit2.TestKit kit, IEnumerable<IGraphEvent> events) =>
        [.. events.Select(e => System.Text.Encoding.UTF8.GetString(kit.Sys.Serialization.FindSerializerFor(e).ToBinary(e)))];
}
