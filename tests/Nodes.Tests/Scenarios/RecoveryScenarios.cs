using Actors.Core;
using Actors.Persistence;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>The graph on a real SQLite journal: a host dropped without a clean stop, and its next incarnation.</summary>
public sealed class RecoveryScenarios(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output), IDisposable
{
    private readonly TempDataDir _dir = new();

    void IDisposable.Dispose()
    {
        Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// The journal has a node on an IoThread this host does not start: recovery fails once, and
    /// every command and query gets the reason instead of running against a half-recovered graph
    /// (no restart storm, nothing appended to the journal).
    /// </summary>
    [Fact]
    public async Task A_graph_that_cannot_be_recovered_refuses_commands_and_queries_naming_the_reason()
    {
        var journal = new InMemoryGraphJournal();
        await journal.AppendAsync([new NodeAdded("n0", "null-co", NodeHarness.Options(""), "h1", "io9")]);

        var h = new NodeHarness(this, journal);
        var command = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Add("n1", "null-co"));
        var query = Assert.Throws<InvalidOperationException>(() => h.Snapshot());

        Assert.Equal("The block graph could not be recovered from its journal: IoThread 'io9' does not exist on host 'h1'", command.Message);
        Assert.Equal(command.Message, query.Message);
        Assert.Single(journal.Events);
    }

    [Fact]
    public async Task Unrefs_pending_when_a_host_is_dropped_complete_exactly_once_after_restart()
    {
        var path = Path.Combine(_dir.DataDir, "journal.db");
        // First incarnation: stuck0's close never finishes, as if the host died right then.
        var first = ActorSystem.Create("test");
        var firstJournal = new SqliteJournal(path);
        var h1 = new NodeHarness(this, new JournalGraphStore(firstJournal, first.Serialization), system: first,
            drivers: d => d.Register(DriverInfo.Protocol("stuck"), s => new StuckOnClose(s, hangs: true)));
        await h1.Add("keep", "null-co");
        await h1.Add("stuck0", "stuck");
        await h1.Run(new DeleteNode("stuck0"));
        // The host is dropped: no clean stop, its deferred close still hanging.

        var secondJournal = new SqliteJournal(path);
        var second = ActorSystem.Create("test");
        try
        {
            var h2 = new NodeHarness(this, new JournalGraphStore(secondJournal, second.Serialization), system: second,
                drivers: d => d.Register(DriverInfo.Protocol("stuck"), s => new StuckOnClose(s, hangs: false)));
            await h2.Add("later", "null-co");

            var snapshot = h2.Snapshot();
            Assert.Equal(["keep", "later"], snapshot.Nodes.Select(n => n.Name));
            Assert.Empty(snapshot.PendingUnrefs);
            var closes = new List<string>();
            await foreach (var e in new JournalGraphStore(secondJournal, second.Serialization).ReadAllAsync())
            {
                if (e is NodeClosed closed)
                {
                    closes.Add(closed.Node);
                }
            }
            Assert.Equal(["stuck0"], closes);
        }
        finally
        {
            await second.Terminate();
            _ = first.Terminate();
        }
    }

    [Fact]
    public async Task A_second_coordinator_writing_the_same_graph_is_fenced_off()
    {
        var path = Path.Combine(_dir.DataDir, "journal.db");
        var journal = new SqliteJournal(path);
        var stale = new JournalGraphStore(journal, Sys.Serialization);
        await foreach (var _ in stale.ReadAllAsync())
        {
        }
        var h = new NodeHarness(this, new JournalGraphStore(journal, Sys.Serialization));
        await h.Add("null0", "null-co");

        await Assert.ThrowsAsync<JournalConflictException>(() =>
            stale.AppendAsync([new NodeAdded("other", "null-co", NodeHarness.Options(""), "h1", "io0")]));
    }

    [Fact]
    public async Task Recovery_from_a_snapshot_and_the_events_after_it_rebuilds_the_same_graph()
    {
        var journal = new SqliteJournal(Path.Combine(_dir.DataDir, "journal.db"));
        var snapshots = new SqliteSnapshotStore(Path.Combine(_dir.DataDir, "journal.db"));
        var h = new NodeHarness(this, new JournalGraphStore(journal, Sys.Serialization, snapshots, snapshotEvery: 4));
        await h.Add("mem0", "memory", "size=64k");
        await h.Add("disk0", "raw", children: ("file", "mem0"));
        await h.Run(new AddExport("e0", "disk0", "disk0", Writable: true));
        await h.Run(new InsertFilter("thr0", "throttle", NodeHarness.Options("iops-total=100"), "disk0"));
        await h.Run(new MoveNode("disk0", "io1"));
        await h.Add("null0", "null-co");
        await h.Run(new DeleteNode("null0"));
        AwaitCondition(() => h.Snapshot().Find("null0") is null, NodeHarness.Timeout);
        var expected = h.Snapshot();

        Assert.NotNull(await snapshots.LoadAsync(new PersistenceId("block-graph")));
        var replayed = new BlockGraph(h.Runtime.Drivers.Info);
        await foreach (var e in new JournalGraphStore(journal, Sys.Serialization, snapshots).ReadAllAsync())
        {
            replayed.Apply(e);
        }
        var actual = Nodes.Runtime.GraphSnapshot.Of(replayed);
        Assert.Equal(expected.Nodes.Select(n => $"{n.Name} {n.Driver} {n.IoThread} {n.RefCount} {string.Join(",", n.Children)}"),
            actual.Nodes.Select(n => $"{n.Name} {n.Driver} {n.IoThread} {n.RefCount} {string.Join(",", n.Children)}"));
        Assert.Equal(expected.Exports.ToArray(), actual.Exports.ToArray());
        Assert.Empty(actual.PendingUnrefs);
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
