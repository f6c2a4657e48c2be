using Akka.Actor;
using Actors.GraphLock;
using Actors.IoThreads;
using Nodes.Commands;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Tests.Samples;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// The intent of QEMU's tests/unit/test-bdrv-drain.c graph-change cases, in this design: a
/// request holds its IoThread's read lock from entry to completion, so a write section is a
/// quiescent point of the whole graph, and changes never meet a request halfway.
/// </summary>
public sealed class NodeScenarios(ITestOutputHelper output) : NodesTestKit(output)
{
    private static readonly TimeSpan Timeout = NodeHarness.Timeout;

    [Fact]
    public async Task Requests_to_a_newly_added_node_park_during_a_write_section_and_run_after_it()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        var (entered, gate, done) = h.HoldWriteSection();
        await entered.WaitAsync(Timeout);

        var read = h.Read("null0", 0, new byte[512]);
        AwaitCondition(() => h.Status("io0").Parked == 1, Timeout, NodeHarness.Poll);
        Assert.False(read.IsCompleted);

        gate.SetResult();
        await done;
        await read.WaitAsync(Timeout);
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>  e0 → slow0 (blkdebug, delays) ─file→ mem0 ; the export and slow0 are deleted mid-request  </summary>
    [Fact]
    public async Task Deleting_a_node_whose_request_is_in_flight_lets_the_request_finish_first()
    {
        var h = new NodeHarness(this);
        await h.Add("mem0", "memory", "size=64k");
        await h.Add("slow0", "blkdebug", "delay-us=200000", children: ("file", "mem0"));
        var write = h.Write("slow0", 0, [1, 2, 3]);
        AwaitCondition(() => h.Status("io0").Readers == 1, Timeout, NodeHarness.Poll);

        var delete = h.Run(new DeleteNode("slow0"));
        await write.WaitAsync(Timeout);
        await delete;

        AwaitCondition(() => h.Snapshot().Find("slow0") is null, Timeout, NodeHarness.Poll);
        Assert.Equal([1, 2, 3], ((MemoryNode)h.Runtime.Find("mem0")!).Bytes[..3]);
        Assert.Single(h.Events.OfType<NodeClosed>(), e => e.Node == "slow0");
    }

    /// <summary>
    /// A front end's strand, homed on io0, sends a request that parks behind a write section;
    /// meanwhile the strand's home becomes io1 (as when the export's node moves). The request's
    /// lock, body and unlock still run on io0: its continuations belong to the IoThread, not to
    /// the caller's context, so no count ends on the wrong IoThread.
    /// </summary>
    [Fact]
    public async Task A_parked_request_resumes_on_its_IoThread_when_the_caller_context_moved_elsewhere()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        await h.Add("null1", "null-co", ioThread: "io1");
        var io0 = h.Runtime.IoThreadOf("null0")!;
        var io1 = h.Runtime.IoThreadOf("null1")!;
        var home = io0.Loop;
        var strand = new Strand(() => Volatile.Read(ref home));
        var (entered, gate, done) = h.HoldWriteSection();
        await entered.WaitAsync(Timeout);

        var request = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        strand.Post(async _ => request.SetResult(await h.Runtime.RunRequestAsync("null0", _ => ValueTask.FromResult(EventLoop.Current?.Name))), null);
        AwaitCondition(() => h.Status("io0").Parked == 1, Timeout, NodeHarness.Poll);
        Volatile.Write(ref home, io1.Loop);
        gate.SetResult();
        await done;

        Assert.Equal("io0", await request.Task.WaitAsync(Timeout));
        Assert.Equal((0, 0), (h.Status("io0").Readers, h.Status("io1").Readers));
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>
    /// A request held inside null0 holds up a graph change; the graph lock's status names it, by
    /// its node and the type its front end gave it, as the reader that drain waited for.
    /// </summary>
    [Fact]
    public async Task The_graph_lock_names_the_request_a_graph_change_waited_for()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = h.Runtime.RunRequestAsync("null0", async _ =>
        {
            await release.Task;
            return true;
        }, "NBD_CMD_FLUSH").AsTask();
        AwaitCondition(() => h.Status("io0").Readers == 1, Timeout, NodeHarness.Poll);

        var add = h.Add("null1", "null-co");
        AwaitCondition(() => h.Status("io0").WriterActive, Timeout, NodeHarness.Poll);
        release.SetResult();
        await held.WaitAsync(Timeout);
        await add;

        var status = await h.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
        Assert.Equal(new DrainReader("io0", "null0", "NBD_CMD_FLUSH"), status.Phases.SlowestDrain?.LastReader);
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>
    ///   e0 → thr0 (throttle, 1 byte/s) ─file→ mem0
    /// A request queued in the filter has not started: graph changes go on without waiting for its
    /// turn (here, one that would come in hours), and it is not lost: when the filter is removed,
    /// its close sends the request on to mem0, which the export serves from then on.
    /// </summary>
    [Fact]
    public async Task A_request_queued_in_a_throttle_filter_does_not_hold_up_graph_changes_and_runs_once_the_filter_is_removed()
    {
        var h = new NodeHarness(this);
        await h.Add("mem0", "memory", "size=64k");
        await h.Run(new AddExport("e0", "mem0", "disk", Writable: true));
        await h.Run(new InsertFilter("thr0", "throttle", NodeHarness.Options("bps-total=1"), "mem0"));
        // The first request fills the bucket for 4096 s; the second queues behind it.
        await h.Runtime.RunExportRequestAsync("e0", WriteBlock(1), "write");
        var queued = h.Runtime.RunExportRequestAsync("e0", WriteBlock(2), "write").AsTask();
        AwaitCondition(() => h.Runtime.Find("thr0") is ThrottleNode { Queued: 1 }, Timeout, NodeHarness.Poll);

        await h.Add("null0", "null-co");
        await h.Run(new MoveNode("mem0", "io1"));
        Assert.False(queued.IsCompleted, "the queued write still waits for its turn");

        await h.Run(new RemoveFilter("thr0"));
        await queued.WaitAsync(Timeout);
        var read = new byte[1];
        await h.Read("mem0", 0, read);
        Assert.Equal(2, read[0]);
        // It gave its lock back on io0 and took it again on io1, where the filter had moved.
        Assert.Equal(0, h.Status("io0").Readers + h.Status("io1").Readers);
        Assert.Equal(0, h.Monitor.Violations);

        static Func<BlockNode, ValueTask<bool>> WriteBlock(byte value) => async node =>
        {
            var block = new byte[4096];
            block[0] = value;
            await node.WriteAsync(0, block, fua: false);
            return true;
        };
    }

    /// <summary>
    ///   raw0 ─file→ disk0 (waits for the disk in flushes) ─file→ mem0
    /// A front end's flush waits for the disk outside the graph: graph changes go on meanwhile
    /// (here, two), and once the disk answers, the flush takes its read lock again, parked while a
    /// write section runs, and completes; every count ends at zero.
    /// </summary>
    [Fact]
    public async Task A_front_end_flush_waiting_for_the_disk_does_not_hold_up_graph_changes()
    {
        var (h, disk) = await DiskWaitGraph(withRaw: true);
        var flush = Flush(h, "raw0", frontEnd: true);
        await disk.Waiting.WaitAsync(Timeout);
        Assert.Equal(0, h.Status("io0").Readers);

        await h.Add("null0", "null-co");
        var (entered, gate, done) = h.HoldWriteSection();
        await entered.WaitAsync(Timeout);
        disk.Disk.SetResult();
        AwaitCondition(() => h.Status("io0").Parked == 1, Timeout, NodeHarness.Poll);
        Assert.False(flush.IsCompleted, "the flush takes its read lock again only after the write section");

        gate.SetResult();
        await done;
        Assert.True(await flush.WaitAsync(Timeout));
        Assert.Equal(0, h.Status("io0").Readers);
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>
    /// A flush that is not a front end's (a node's own, or the graph's owner's) keeps its read lock
    /// while it waits for the disk: only a front end knows the request holds one to give back.
    /// </summary>
    [Fact]
    public async Task A_flush_that_is_not_a_front_ends_keeps_its_read_lock_while_the_disk_works()
    {
        var (h, disk) = await DiskWaitGraph(withRaw: false);
        var flush = Flush(h, "disk0", frontEnd: false);
        await disk.Waiting.WaitAsync(Timeout);
        Assert.Equal(1, h.Status("io0").Readers);

        var add = h.Add("null0", "null-co");
        AwaitCondition(() => h.Status("io0").WriterActive, Timeout, NodeHarness.Poll);
        Assert.False(add.IsCompleted, "the change waits for the flush that holds its lock");
        disk.Disk.SetResult();
        await add.WaitAsync(Timeout);
        Assert.True(await flush.WaitAsync(Timeout));
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>
    /// An IoThread asked to stop while a flush that entered there waits for the disk (its node
    /// moved to io1, and io0 was removed) runs until the flush came back and completed.
    /// </summary>
    [Fact]
    public async Task An_iothread_removed_while_a_flush_waits_for_the_disk_stops_once_the_flush_is_back()
    {
        var (h, disk) = await DiskWaitGraph(withRaw: false);
        var flush = Flush(h, "disk0", frontEnd: true);
        await disk.Waiting.WaitAsync(Timeout);
        await h.Run(new MoveNode("disk0", "io1"));
        await h.Run(new MoveNode("mem0", "io1"));
        await h.Graph.Ask<WriteCompleted>(new RemoveIoThread("h1", "io0"), Timeout);

        var stopped = IoThread.StopAsync(Sys, "io0", Timeout);
        AwaitCondition(() => h.Status("io0") is { Stopping: true, Outside: 1 }, Timeout, NodeHarness.Poll);
        disk.Disk.SetResult();
        Assert.True(await flush.WaitAsync(Timeout));
        await stopped.WaitAsync(Timeout);
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>  [raw0 (raw) ─file→] disk0 (waits for the disk in flushes) ─file→ mem0  </summary>
    private async Task<(NodeHarness H, DiskWaitFilter Disk)> DiskWaitGraph(bool withRaw)
    {
        var h = new NodeHarness(this, drivers: d => d.Register(DriverInfo.Filter("disk-wait"), s => new DiskWaitFilter(s)));
        await h.Add("mem0", "memory", "size=64k");
        await h.Add("disk0", "disk-wait", children: ("file", "mem0"));
        if (withRaw)
        {
            await h.Add("raw0", "raw", children: ("file", "disk0"));
        }
        return (h, (DiskWaitFilter)h.Runtime.Find("disk0")!);
    }

    private static Task<bool> Flush(NodeHarness h, string node, bool frontEnd) => h.Request(node, async n =>
    {
        await (frontEnd ? n.FlushForFrontEndAsync() : n.FlushAsync());
        return true;
    });

    /// <summary>
    ///   e0 → flt0 (throttle) ─file→ mem0 ←file─ slow0 (blkdebug, delays)
    /// A request to export e0 parks behind the removal of flt0 (which waits for slow0's write to
    /// drain). When it runs, the export serves mem0: the request meets the graph as it stands
    /// under its read lock, never the filter that left (and is being closed).
    /// </summary>
    [Fact]
    public async Task A_request_parked_behind_a_filter_removal_runs_on_the_node_the_export_serves_after_it()
    {
        var h = new NodeHarness(this);
        await h.Add("mem0", "memory", "size=64k");
        await h.Run(new AddExport("e0", "mem0", "disk", Writable: true));
        await h.Run(new InsertFilter("flt0", "throttle", NodeHarness.Options(""), "mem0"));
        await h.Add("slow0", "blkdebug", "delay-us=300000", children: ("file", "mem0"));
        var slow = h.Write("slow0", 0, [1]);
        AwaitCondition(() => h.Status("io0").Readers == 1, Timeout, NodeHarness.Poll);

        var removal = h.Run(new RemoveFilter("flt0"));
        AwaitCondition(() => h.Status("io0").WriterActive, Timeout, NodeHarness.Poll);
        var parked = h.Runtime.RunExportRequestAsync("e0", node => ValueTask.FromResult(node.Name)).AsTask();
        AwaitCondition(() => h.Status("io0").Parked == 1, Timeout, NodeHarness.Poll);
        await slow.WaitAsync(Timeout);
        await removal;

        Assert.Equal("mem0", await parked.WaitAsync(Timeout));
        AwaitCondition(() => h.Snapshot().Find("flt0") is null, Timeout, NodeHarness.Poll);
        Assert.Equal(0, h.Monitor.Violations);
    }

    /// <summary>
    ///   before:  top (counter) ─file→ old (counter) ─file→ null0
    ///   after:   top (counter) ─file→ new (counter) ─file→ null0
    /// </summary>
    [Fact]
    public async Task Replacing_a_child_never_sends_a_request_to_the_old_child_afterwards()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        await h.Add("old", "counter", children: ("file", "null0"));
        await h.Add("new", "counter", children: ("file", "null0"));
        await h.Add("top", "counter", children: ("file", "old"));
        using var stop = new CancellationTokenSource();
        var stream = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await h.Read("top", 0, new byte[512]);
            }
        });
        AwaitCondition(() => ((CountingFilter)h.Runtime.Find("old")!).Reads > 10, Timeout, NodeHarness.Poll);

        await h.Run(new ReplaceChild("top", "file", "new"));
        var oldReads = ((CountingFilter)h.Runtime.Find("old")!).Reads;
        AwaitCondition(() => ((CountingFilter)h.Runtime.Find("new")!).Reads > 10, Timeout, NodeHarness.Poll);
        stop.Cancel();
        await stream.WaitAsync(Timeout);

        Assert.Equal(oldReads, ((CountingFilter)h.Runtime.Find("old")!).Reads);
        Assert.Equal(0, h.Monitor.Violations);
    }

    [Fact]
    public async Task A_graph_change_requested_from_an_io_completion_does_not_deadlock()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        Task<WriteCompleted>? change = null;
        await h.Request("null0", async node =>
        {
            await node.ReadAsync(0, new byte[512]);
            // Still inside the request, holding the read lock: the change must wait for us, not we for it.
            change = h.Run(new AddNode("null1", "null-co", NodeHarness.Options(""), "h1", "io0", System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty));
            return true;
        });
        await change!;
        Assert.NotNull(h.Snapshot().Find("null1"));
    }

    [Fact]
    public async Task A_node_moved_to_another_iothread_and_back_keeps_serving_and_keeps_its_data()
    {
        var h = new NodeHarness(this);
        await h.Add("mem0", "memory", "size=64k");
        await h.Add("disk0", "raw", children: ("file", "mem0"));

        await h.Write("disk0", 0, [7, 7, 7]);
        await h.Run(new MoveNode("disk0", "io1"));
        Assert.Equal("io1", h.Snapshot().Find("mem0")!.IoThread);
        await h.Write("disk0", 3, [8, 8]);
        await h.Run(new MoveNode("mem0", "io0"));
        var back = new byte[5];
        await h.Read("disk0", 0, back);

        Assert.Equal([7, 7, 7, 8, 8], back);
        Assert.Equal("io0", h.Snapshot().Find("disk0")!.IoThread);
    }

    /// <summary>
    /// A writer streams a known pattern into disk0 while a throttle filter is inserted above it
    /// and removed again, and the node moves between IoThreads; afterwards every byte is checked.
    /// </summary>
    [Fact]
    public async Task Live_graph_changes_under_a_stream_of_writes_lose_no_byte()
    {
        var h = new NodeHarness(this);
        const int blocks = 256;
        const int blockSize = 512;
        await h.Add("mem0", "memory", $"size={blocks * blockSize}");
        await h.Add("disk0", "raw", children: ("file", "mem0"));
        await h.Add("top", "counter", children: ("file", "disk0"));

        var writer = Task.Run(async () =>
        {
            for (var block = 0; block < blocks; block++)
            {
                await h.Write("top", block * blockSize, Pattern(block, blockSize));
            }
        });
        await h.Run(new InsertFilter("thr0", "throttle", NodeHarness.Options("iops-total=2000"), "disk0"));
        await h.Run(new MoveNode("disk0", "io1"));
        await h.Run(new RemoveFilter("thr0"));
        await h.Run(new MoveNode("disk0", "io0"));
        await writer.WaitAsync(Timeout);

        var memory = ((MemoryNode)h.Runtime.Find("mem0")!).Bytes;
        for (var block = 0; block < blocks; block++)
        {
            Assert.Equal(Pattern(block, blockSize), memory[(block * blockSize)..((block + 1) * blockSize)]);
        }
        Assert.Equal(0, h.Monitor.Violations);
        AwaitCondition(() => h.Snapshot().Find("thr0") is null, Timeout, NodeHarness.Poll);
    }

    [Fact]
    public async Task Deferred_unrefs_close_each_node_once_in_the_order_their_references_went()
    {
        var h = new NodeHarness(this);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await h.Add(name, "null-co");
        }
        foreach (var name in new[] { "b", "c", "a" })
        {
            await h.Run(new DeleteNode(name));
        }
        AwaitCondition(() => h.Snapshot().Nodes.IsEmpty, Timeout, NodeHarness.Poll);

        var closed = h.Events.OfType<NodeClosed>().Select(e => e.Node);
        Assert.Equal(["b", "c", "a"], closed);
    }

    [Fact]
    public async Task Unrefs_left_pending_by_a_crash_are_finished_once_by_the_next_coordinator()
    {
        // The journal of a host that died right after deleting null0: scheduled, never closed.
        IGraphEvent[] history =
        [
            new NodeAdded("keep", "null-co", NodeHarness.Options(""), "h1", "io0"),
            new NodeAdded("null0", "null-co", NodeHarness.Options(""), "h1", "io0"),
            new NodeReleased("null0"), new UnrefScheduled("null0"),
        ];

        var h = new NodeHarness(this, history);
        AwaitCondition(() => h.Events.OfType<NodeClosed>().Any(), Timeout, NodeHarness.Poll);
        // A later command queues behind recovery and its deferred close: after it, nothing is pending.
        await h.Add("later", "null-co");
        Assert.Empty(h.Snapshot().PendingUnrefs);

        Assert.Single(h.Events.OfType<NodeClosed>(), e => e.Node == "null0");
        Assert.Equal(["keep", "later"], h.Snapshot().Nodes.Select(n => n.Name));
        Assert.NotNull(h.Runtime.Find("keep"));
    }

    [Fact]
    public void A_query_right_after_start_sees_the_recovered_graph()
    {
        // Queries wait for recovery: answered at once, the graph would still be empty.
        var h = new NodeHarness(this, [new NodeAdded("keep", "null-co", NodeHarness.Options(""), "h1", "io0")]);

        Assert.NotNull(h.Snapshot().Find("keep"));
    }

    [Fact]
    public async Task An_injected_eio_reaches_the_caller_and_leaves_the_graph_healthy()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        await h.Add("dbg0", "blkdebug", "fail-nth=2", children: ("file", "null0"));

        await h.Read("dbg0", 0, new byte[512]);
        var failure = await Assert.ThrowsAsync<BlockIOException>(() => h.Read("dbg0", 0, new byte[512]));
        Assert.Equal(Errno.EIO, failure.Errno);

        await h.Read("dbg0", 0, new byte[512]);
        await h.Run(new InsertFilter("thr0", "throttle", NodeHarness.Options(""), "dbg0"));
        await h.Read("thr0", 0, new byte[512]);
        Assert.All(h.Snapshot().Nodes, n => Assert.False(n.PendingUnref));
        Assert.Equal(0, h.Status("io0").Readers);
    }

    [Fact]
    public async Task A_refused_change_answers_with_qemus_message_and_changes_nothing()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        await h.Run(new AddExport("e0", "null0", "null0", Writable: false));

        var refused = await Assert.ThrowsAsync<GraphException>(() => h.Run(new DeleteNode("null0")));
        Assert.Equal("Node 'null0' is busy: node is used as export 'e0'", refused.Message);
        Assert.Equal(2, h.Snapshot().Find("null0")!.RefCount);
        await h.Read("null0", 0, new byte[16]);
    }

    private static byte[] Pattern(int block, int size) => Enumerable.Range(0, size).Select(i => (byte)(block * 31 + i)).ToArray();
}
