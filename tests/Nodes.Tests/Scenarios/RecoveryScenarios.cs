using Akka.Actor;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Persistence;
using Nodes.Runtime;
using Nodes.Tests.Disk;
using Nodes.Tests.Persistence;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// The graph's owner on the embedded journal (Akka.Persistence.Sql on a SQLite file): a host
/// dropped without a clean stop and its next incarnation, a second owner of the same history,
/// recovery from a snapshot, and nodes that cannot be reopened.
/// </summary>
public sealed class RecoveryScenarios(ITestOutputHelper output) : NodesTestKit(output), IDisposable
{
    private readonly TempDataDir _dir = new();

    void IDisposable.Dispose()
    {
        Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// The journal has a node on an IoThread this host does not start: recovery does not fail.
    /// The node comes back unavailable, naming the reason; the others serve, and deleting it
    /// works (its close only has to be recorded).
    /// </summary>
    [Fact]
    public async Task A_node_that_cannot_be_reopened_comes_back_unavailable_and_can_be_deleted()
    {
        var h = new NodeHarness(this, [
            new NodeAdded("n0", "null-co", NodeHarness.Options(""), "h1", "io9"),
            new NodeAdded("p0", "raw", NodeHarness.Options(""), "h1", "io9"),
            new ChildAttached("p0", "file", "n0"),
            new NodeAdded("keep", "null-co", NodeHarness.Options(""), "h1", "io0"),
        ]);

        var graph = h.Snapshot();
        Assert.Equal("IoThread 'io9' does not exist on host 'h1'", graph.Find("n0")!.Unavailable);
        Assert.Equal("its child 'n0' is unavailable", graph.Find("p0")!.Unavailable);
        Assert.Null(graph.Find("keep")!.Unavailable);
        await h.Read("keep", 0, new byte[512]);

        await h.Run(new DeleteNode("p0"));
        await h.Run(new DeleteNode("n0"));
        Assert.Equal(["keep"], h.Snapshot().Nodes.Select(n => n.Name));
        Assert.Equal(["p0", "n0"], h.Events.OfType<NodeClosed>().Select(e => e.Node));
    }

    [Fact]
    public async Task Unrefs_pending_when_a_host_is_dropped_complete_exactly_once_after_restart()
    {
        // First incarnation: stuck0's close never finishes, as if the host died right then.
        var first = NewSystem();
        var h1 = new NodeHarness(this, system: first,
            drivers: d => d.Register(DriverInfo.Protocol("stuck"), s => new StuckOnClose(s, hangs: true)));
        await h1.Add("keep", "null-co");
        await h1.Add("stuck0", "stuck");
        await h1.Run(new DeleteNode("stuck0"));
        // The host is dropped: no clean stop, its deferred close still hanging.
        _ = first.Terminate();

        var second = NewSystem();
        try
        {
            var h2 = new NodeHarness(this, system: second,
                drivers: d => d.Register(DriverInfo.Protocol("stuck"), s => new StuckOnClose(s, hangs: false)));
            await h2.Add("later", "null-co");

            var snapshot = h2.Snapshot();
            Assert.Equal(["keep", "later"], snapshot.Nodes.Select(n => n.Name));
            Assert.Empty(snapshot.PendingUnrefs);
            Assert.Equal(["stuck0"], h2.Events.OfType<NodeClosed>().Select(e => e.Node));
        }
        finally
        {
            await second.Terminate();
        }
    }

    /// <summary>
    /// Two owners of one graph's history (two coordinators): the second to write finds the
    /// sequence number taken, its command fails and nothing of it is stored (DESIGN §7's fence).
    /// </summary>
    [Fact]
    public async Task A_second_coordinator_writing_the_same_graph_is_fenced_off()
    {
        var first = NewSystem();
        var second = NewSystem();
        try
        {
            var h1 = new NodeHarness(this, system: first);
            var h2 = new NodeHarness(this, system: second);
            // Both recovered the same (empty) history; the first writes, then the second.
            h1.Snapshot();
            h2.Snapshot();
            await h1.Add("null0", "null-co");

            var fenced = await Assert.ThrowsAsync<GraphJournalException>(() => h2.Add("other", "null-co"));

            Assert.Contains("UNIQUE constraint failed", fenced.InnerException!.Message);
            Assert.Equal(["null0"], h1.Events.OfType<NodeAdded>().Select(e => e.Node));
        }
        finally
        {
            await Task.WhenAll(first.Terminate(), second.Terminate());
        }
    }

    [Fact]
    public async Task Recovery_from_a_snapshot_and_the_events_after_it_rebuilds_the_same_graph()
    {
        var first = NewSystem();
        GraphSnapshot expected;
        var h = new NodeHarness(this, system: first, settings: GraphOwnerSettings.Default with { SnapshotEvery = 4 });
        await h.Add("mem0", "memory", "size=64k");
        await h.Add("disk0", "raw", children: ("file", "mem0"));
        await h.Run(new AddExport("e0", "disk0", "disk0", Writable: true));
        await h.Run(new InsertFilter("thr0", "throttle", NodeHarness.Options("iops-total=100"), "disk0"));
        await h.Run(new MoveNode("disk0", "io1"));
        await h.Add("null0", "null-co");
        await h.Run(new DeleteNode("null0"));
        AwaitCondition(() => h.Snapshot().Find("null0") is null, NodeHarness.Timeout, NodeHarness.Poll);
        expected = h.Snapshot();
        await first.Terminate();

        var second = NewSystem();
        try
        {
            var actual = new NodeHarness(this, system: second).Snapshot();

            Assert.Equal(expected.Nodes.Select(Describe), actual.Nodes.Select(Describe));
            Assert.Equal(expected.Exports.ToArray(), actual.Exports.ToArray());
            Assert.Empty(actual.PendingUnrefs);
            Assert.NotEmpty(SqliteRows("select sequence_number from snapshot where persistence_id = 'block-graph'"));
        }
        finally
        {
            await second.Terminate();
        }
    }

    private static string Describe(NodeSnapshot n) => $"{n.Name} {n.Driver} {n.IoThread} {n.RefCount} {string.Join(",", n.Children)}";

    /// <summary>A system on this test's SQLite journal (graph.db in its data dir), as a host's.</summary>
    private ActorSystem NewSystem()
    {
        var config = PersistenceTestConfig.Ours(_dir.DataDir);
        SqliteJournalFile.Prepare(config.GetString("akka.persistence.journal.sql.connection-string"));
        return ActorSystem.Create("test", PersistenceTestConfig.Akka(_dir.DataDir));
    }

    private List<string> SqliteRows(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.DataDir, "graph.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetValue(0).ToString()!);
        }
        return rows;
    }

    /// <summary>A protocol node whose close hangs (first incarnation) or completes (second).</summary>
    private sealed class StuckOnClose(NodeSettings settings, bool hangs) : BlockNode(settings)
    {
        public override long Length => 1 << 20;

        public override ValueTask ReadAsync(long offset, Memory<byte> buffer) => ValueTask.CompletedTask;

        public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua) => ValueTask.CompletedTask;

        public override ValueTask FlushAsync() => ValueTask.CompletedTask;

        public override ValueTask DiscardAsync(long offset, long length) => ValueTask.CompletedTask;

        public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap) => ValueTask.CompletedTask;

        public override ValueTask CloseAsync() => hangs ? new ValueTask(new TaskCompletionSource().Task) : ValueTask.CompletedTask;
    }
}
