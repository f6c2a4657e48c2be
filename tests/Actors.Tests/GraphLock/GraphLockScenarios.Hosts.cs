using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;

namespace Actors.Tests.GraphLock;

/// <summary>Per-host aggregation: a write costs O(hosts) messages.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ host aggregation

    /// <summary>
    /// Per-host aggregation: a write costs O(hosts) messages. Each host sums its IoThreads and
    /// reports once per epoch (and again only when its sum changes); IoThreads never talk to the
    /// Coordinator (a probe here).
    /// <code>
    ///              Coordinator (probe)
    ///              /                \
    ///         host:a                host:b
    ///         /    \                /    \
    ///      a-io0  a-io1          b-io0  b-io1
    /// </code>
    /// </summary>
    [Fact]
    public void A_write_over_two_hosts_of_two_IoThreads_costs_one_report_per_host()
    {
        using var h = new GraphLockHarness(this);
        var coordinator = CreateTestProbe("coordinator");
        var hostA = h.StartHost("a", coordinator: coordinator.Ref);
        var hostB = h.StartHost("b", coordinator: coordinator.Ref);
        h.StepUntilIdle();
        foreach (var register in coordinator.ReceiveN(2, GraphLockHarness.WaitLimit).Cast<RegisterContext>())
        {
            register.Ref.Tell(new ContextRegistered(register.Context, Epoch: 0, WriterActive: false), coordinator.Ref);
        }
        var a0 = h.StartIoThread("a-io0", registry: hostA.Ref);
        h.StartIoThread("a-io1", registry: hostA.Ref);
        h.StartIoThread("b-io0", registry: hostB.Ref);
        h.StartIoThread("b-io1", registry: hostB.Ref);
        h.StepUntilIdle();
        coordinator.ExpectNoMsg(TimeSpan.Zero);

        foreach (var host in new[] { hostA, hostB })
        {
            host.Ref.Tell(new BeginWrite(1), coordinator.Ref);
        }
        h.StepUntilIdle();
        var reports = coordinator.ReceiveN(2, GraphLockHarness.WaitLimit).Cast<ReaderReport>().OrderBy(r => r.Context).ToList();
        Assert.Equal([new ReaderReport("host:a", 1, 0, 0), new ReaderReport("host:b", 1, 0, 0)], reports);
        coordinator.ExpectNoMsg(TimeSpan.Zero);
        foreach (var host in new[] { hostA, hostB })
        {
            host.Ref.Tell(new EndWrite(1), coordinator.Ref);
        }
        h.StepUntilIdle();
        Assert.Equal(["host:a", "host:b"], coordinator.ReceiveN(2, GraphLockHarness.WaitLimit).Cast<WriteEnded>().Select(e => e.Context).Order());
        coordinator.ExpectNoMsg(TimeSpan.Zero);

        // With a reader inside on a-io0: one report per host, then one more when its sum changes.
        var reader = h.Lock(a0, "r1");
        foreach (var host in new[] { hostA, hostB })
        {
            host.Ref.Tell(new BeginWrite(2), coordinator.Ref);
        }
        h.StepUntilIdle();
        reports = coordinator.ReceiveN(2, GraphLockHarness.WaitLimit).Cast<ReaderReport>().OrderBy(r => r.Context).ToList();
        Assert.Equal([new ReaderReport("host:a", 2, 1, 0), new ReaderReport("host:b", 2, 0, 0)], reports);
        h.Unlock(reader);
        h.StepUntilIdle();
        Assert.Equal(new ReaderReport("host:a", 2, 0, 0, new DrainReader("a-io0", "r1", Reader.Kind)), coordinator.ExpectMsg<ReaderReport>(TimeSpan.Zero));
        coordinator.ExpectNoMsg(TimeSpan.Zero);
    }

    /// <summary>
    /// The same topology with the real Coordinator: it knows only the hosts; a reader inside on
    /// one host holds the writer back until it unlocks.
    /// <code>
    ///              Coordinator
    ///              /         \
    ///         host:a         host:b
    ///         /    \         /    \
    ///      a-io0  a-io1   b-io0  b-io1
    /// </code>
    /// </summary>
    [Fact]
    public void A_writer_waits_for_a_reader_under_a_host_aggregator()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var hostA = h.StartHost("a");
        var hostB = h.StartHost("b");
        h.StartIoThread("a-io0", registry: hostA.Ref);
        var a1 = h.StartIoThread("a-io1", registry: hostA.Ref);
        h.StartIoThread("b-io0", registry: hostB.Ref);
        var b1 = h.StartIoThread("b-io1", registry: hostB.Ref);
        var reader = h.Lock(a1, "r1");
        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        Assert.False(writer.Entered.IsCompleted);
        Assert.Equal(
            [new ContextStatus("host:a", 1, 0, 1), new ContextStatus("host:b", 0, 0, 1)],
            h.Status().Contexts.OrderBy(c => c.Context));

        var parked = h.Lock(b1, "r2", thenUnlock: true);
        Assert.True(parked.IsParked);
        h.Unlock(reader);
        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => parked.IsReleased, "r2 ran after the write");
        Assert.Equal(["r1 reads", "W1 enters", "W1 leaves", "r2 reads"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>
    /// A host aggregator that dies takes its IoThreads with it: the Coordinator drops the host's
    /// count, so those IoThreads must not admit readers the writer no longer waits for.
    /// </summary>
    [Fact]
    public void The_iothreads_of_a_host_aggregator_that_dies_stop_with_it()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var hostA = h.StartHost("a");
        var a0 = h.StartIoThread("a-io0", registry: hostA.Ref);
        Watch(a0.Ref);

        hostA.Ref.Tell(Kill.Instance, ActorRefs.NoSender);
        h.StepUntil(() => h.Status().Contexts.IsEmpty, "the Coordinator dropped host:a");
        h.StepUntilIdle();
        ExpectTerminated(a0.Ref, GraphLockHarness.WaitLimit);

        var writer = h.RequestWrite("W1");
        h.Await(writer.Completed, "W1 completed");
        h.AssertNoViolations();
    }

    /// <summary>An IoThread that registers with its host's aggregator while a writer waits is told so, parks its readers, and is waited for.</summary>
    [Fact]
    public void A_host_aggregator_forwards_the_waiting_write_to_an_IoThread_that_registers_late()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var hostA = h.StartHost("a");
        var a0 = h.StartIoThread("a-io0", registry: hostA.Ref);
        var held = h.Lock(a0, "r0");
        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();

        // a-io1 starts; its RegisterContext waits in host:a's mailbox, and a-io0's report of 0 behind it.
        var late = h.StartIoThread("a-io1", registry: hostA.Ref, awaitRegistered: false);
        var parked = h.Lock(late, "r1", thenUnlock: true);
        Assert.True(parked.IsParked);
        h.Unlock(held);
        h.Step([hostA.Loop]);
        h.Step([h.CoordinatorLoop!]);
        Assert.False(writer.Entered.IsCompleted, "host:a waits for a-io1's report before it reports 0");
        var status = h.IoStatus(late);
        Assert.True(status.WriterActive, "the late IoThread learnt of the waiting writer");
        Assert.Equal(1, status.Epoch);

        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => parked.IsReleased, "r1 ran after the write");
        Assert.Equal(["r0 reads", "W1 enters", "W1 leaves", "r1 reads"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Each host keeps the orphaned balance of its IoThreads that left. r1 locked on a-io0, whose
    /// nodes then moved to b-io0; a-io0 stops (host:a keeps +1), and the writer enters only once
    /// r1 unlocks on the other host.
    /// <code>
    ///              Coordinator
    ///              /         \
    ///   host:a (orphaned +1)  host:b
    ///         |                 |
    ///   a-io0 (stopped)       b-io0 ◀── r1 unlocks here (−1)
    ///   a-io1
    /// </code>
    /// </summary>
    [Fact]
    public void A_host_keeps_the_orphaned_balance_of_its_IoThreads_that_left()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var hostA = h.StartHost("a");
        var hostB = h.StartHost("b");
        var a0 = h.StartIoThread("a-io0", registry: hostA.Ref);
        h.StartIoThread("a-io1", registry: hostA.Ref);
        var b0 = h.StartIoThread("b-io0", registry: hostB.Ref);
        var reader = h.Lock(a0, "r1");

        a0.Ref.Tell(StopIoThread.Instance);
        h.StepUntilTerminated(a0.Ref, "a-io0 stopped");
        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        Assert.False(writer.Entered.IsCompleted);
        Assert.Equal(
            [new ContextStatus("host:a", 1, 0, 1), new ContextStatus("host:b", 0, 0, 1)],
            h.Status().Contexts.OrderBy(c => c.Context));

        h.Unlock(reader, on: b0);
        h.Await(writer.Completed, "W1 completed");
        Assert.Equal(
            [new ContextStatus("host:a", 1, 0, 1), new ContextStatus("host:b", -1, 0, 1)],
            h.Status().Contexts.OrderBy(c => c.Context));
        Assert.Equal(0, h.Status().Orphaned);
        h.AssertNoViolations();
    }
}
