using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;

namespace Actors.Tests.GraphLock;

/// <summary>Write side: one writer at a time, migrated readers, (un)registration and contexts or writers that die.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ write side

    /// <summary>One writer at a time: the second waits for the first to unlock, and writes run in request order.</summary>
    [Fact]
    public void Two_writers_are_serialised_and_served_in_request_order()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        h.StartIoThread("io0");
        var first = h.RequestWrite("W1", hold: true);
        var second = h.RequestWrite("W2");
        var third = h.RequestWrite("W3");
        h.StepUntilIdle();
        Assert.True(first.Entered.IsCompleted);
        Assert.False(second.Entered.IsCompleted);
        Assert.Equal(2, h.Status().QueuedWriters);

        first.Release();
        h.Await(third.Completed, "W3 completed");
        Assert.Equal(["W1 enters", "W1 leaves", "W2 enters", "W2 leaves", "W3 enters", "W3 leaves"], h.Journal.Entries);
        Assert.Equal([1L, 2L, 3L], new[] { first, second, third }.Select(w => w.Completed.Result.Epoch));
        h.AssertNoViolations();
    }

    /// <summary>
    /// Read step 4: a reader may unlock on another IoThread than it locked on (its node moved).
    /// <code>
    ///   r1 locks on io0 ──(node moves)──▶ r1 unlocks on io1
    ///   io0: readers = +1                 io1: readers = −1        Σ = 0
    /// </code>
    /// The writer that waited for r1 enters once io1 reports −1, and later writes are not held up.
    /// </summary>
    [Fact]
    public void A_reader_that_locked_on_one_IoThread_and_unlocked_on_another_leaves_the_sum_at_zero()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var reader = h.Lock(io0, "r1");
        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        Assert.False(writer.Entered.IsCompleted);

        h.Unlock(reader, on: io1);
        h.Await(writer.Completed, "W1 completed");
        int readers0 = 0, readers1 = 0;
        h.RunOn(io0, io => readers0 = io.Readers);
        h.RunOn(io1, io => readers1 = io.Readers);
        Assert.Equal((1, -1), (readers0, readers1));

        var next = h.RequestWrite("W2");
        h.Await(next.Completed, "W2 completed");
        var status = h.Status();
        Assert.Equal(0, status.Orphaned + status.Contexts.Sum(c => c.Readers));
        Assert.Equal([1, -1], status.Contexts.OrderBy(c => c.Context).Select(c => c.Readers));
        h.AssertNoViolations();
    }

    /// <summary>
    /// Unregistering a context moves its balance to the orphaned count (QEMU's
    /// orphaned_reader_count): r1 locked on io0 and its node moved to io1; io0 stops while a
    /// writer waits for r1; the writer keeps waiting (orphaned = 1) until r1 unlocks on io1.
    /// <code>
    ///   io0 (stopped) ──balance +1──▶ orphaned = 1
    ///   io1: r1 unlocks ─▶ readers = −1           Σ = 1 − 1 = 0 ─▶ W1 enters
    /// </code>
    /// </summary>
    [Fact]
    public void Unregistering_a_context_with_readers_moves_its_balance_to_orphaned_and_the_writer_proceeds_when_the_migrated_reader_finishes()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var reader = h.Lock(io0, "r1");
        var writer = h.RequestWrite("W1");
        h.StepUntil(() => h.Context("io0") is { ReportedEpoch: 1, Readers: 1 }, "io0 reported r1 to the waiting writer");

        Watch(io0.Ref);
        io0.Ref.Tell(StopIoThread.Instance);
        h.StepUntil(() => h.Context("io0") is null, "io0 unregistered");
        ExpectTerminated(io0.Ref);
        h.StepUntilIdle();
        var status = h.Status();
        Assert.Equal(1, status.Orphaned);
        Assert.False(writer.Entered.IsCompleted, "r1 still counts, as orphaned");

        h.Unlock(reader, on: io1);
        h.Await(writer.Completed, "W1 completed");
        status = h.Status();
        Assert.Equal(1, status.Orphaned);
        Assert.Equal(-1, status.Contexts.Single().Readers);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Write step 1: a context that registers while a writer waits is told so: it parks its
    /// readers (from before its registration was answered, and after) and reports, and the
    /// writer waits for that report too.
    /// </summary>
    [Fact]
    public void A_context_registered_while_a_writer_waits_receives_BeginWrite_and_parks_its_readers()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var held = h.Lock(io0, "r0");
        var writer = h.RequestWrite("W1", hold: true);
        h.StepUntil(() => h.Context("io0") is { ReportedEpoch: 1 }, "io0 reported to the waiting writer");

        // io1 starts; its RegisterContext waits in the Coordinator's mailbox.
        var io1 = h.StartIoThread("io1", awaitRegistered: false);
        var early = h.Lock(io1, "r1");
        Assert.True(early.IsParked, "an IoThread parks readers until its registration is answered");
        h.Unlock(held);
        // The Coordinator reads io1's registration, then io0's report of 0: io1 has not reported yet.
        h.Step([h.CoordinatorLoop!]);
        Assert.False(writer.Entered.IsCompleted, "the writer waits for the new context's report");

        h.StepUntil(() => h.Context("io1") is { ReportedEpoch: 1 }, "io1 reported for the write", [io1.Loop, h.CoordinatorLoop!]);
        var io1Status = h.IoStatus(io1);
        Assert.True(io1Status.WriterActive);
        var late = h.Lock(io1, "r2");
        Assert.True(late.IsParked, "a reader arriving after the registration parks: a writer is active");

        writer.Release();
        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => early.Entered.IsCompleted && late.Entered.IsCompleted, "io1's readers ran");
        Assert.Equal(["r0 reads", "W1 enters", "W1 leaves", "r1 reads", "r2 reads"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>
    /// An IoThread that dies (Kill) while a writer waits for its reader does not hang the writer:
    /// its readers died with it (DESIGN §4: a context that dies loses its readers), the
    /// Coordinator drops it, and a reader parked there fails naming the IoThread.
    /// </summary>
    [Fact]
    public void An_IoThread_that_dies_while_a_writer_waits_does_not_hang_the_writer()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var doomed = h.Lock(io0, "r0");
        var writer = h.RequestWrite("W1");
        h.StepUntil(() => h.Context("io0") is { ReportedEpoch: 1, Readers: 1 }, "io0 reported r0 to the waiting writer");
        var parked = h.Lock(io0, "r1");
        Assert.True(parked.IsParked);

        Watch(io0.Ref);
        io0.Ref.Tell(Kill.Instance);
        // r0's code ran on io0's thread: it dies with it, and the referee stops counting it.
        doomed.Abandon(h.Monitor);
        h.Await(writer.Completed, "W1 completed after io0 died");
        ExpectTerminated(io0.Ref);

        var failure = Assert.IsType<InvalidOperationException>(parked.Granted.Exception?.InnerException);
        Assert.Contains("'io0'", failure.Message);
        var status = h.Status();
        Assert.Equal(["io1"], status.Contexts.Select(c => c.Context));
        Assert.Equal(0, status.Orphaned);
        h.AssertNoViolations();
    }

    /// <summary>
    /// A writer that dies is unlocked (DeathWatch), and every other write it asked for goes with
    /// it: X holds the write and has asked for a second one, queued behind it, when it dies; the
    /// readers parked for X resume, and the write after X's (Y's) is the next to get the graph,
    /// instead of X's second request being granted to nobody while the graph stays locked.
    /// </summary>
    [Fact]
    public void A_writer_that_dies_holding_the_write_takes_its_queued_writes_with_it()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var x = CreateTestProbe("x");
        var y = CreateTestProbe("y");
        h.Coordinator.Tell(new RequestWrite("X1"), x.Ref);
        h.Coordinator.Tell(new RequestWrite("X2"), x.Ref);
        h.StepUntil(() => x.HasMessages, "X1 granted");
        Assert.Equal(1, x.ExpectMsg<WriteGranted>(TimeSpan.Zero).Epoch);
        h.Coordinator.Tell(new RequestWrite("Y"), y.Ref);
        var parked = h.Lock(io, "r1", thenUnlock: true);
        h.StepUntilIdle();
        Assert.True(parked.IsParked);
        Assert.Equal(2, h.Status().QueuedWriters);

        Watch(x.Ref);
        Sys.Stop(x.Ref);
        ExpectTerminated(x.Ref);
        h.StepUntil(() => y.HasMessages, "Y granted after X died");
        Assert.Equal(2, y.ExpectMsg<WriteGranted>(TimeSpan.Zero).Epoch);
        Assert.True(parked.IsReleased, "r1, parked for X1, ran before Y's write");
        var status = h.Status();
        Assert.True(status.InWriteSection);
        Assert.Equal(0, status.QueuedWriters);

        h.Coordinator.Tell(new WriteSection(2).Release(runDeferred: false), y.Ref);
        h.StepUntil(() => !h.Status().WriterActive, "Y released");
        // X1 and Y: X2 was never granted.
        Assert.Equal(2, h.Status().WritesDone);
        h.AssertNoViolations();
    }
}
