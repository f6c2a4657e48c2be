using Actors.GraphLock;
using Akka.Actor;

namespace Actors.Tests.GraphLock;

/// <summary>Where a write's time goes: its phases, counted once per write, and the reader a drain waited for.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ write phases

    /// <summary>
    /// Each write is counted once in every phase it has: queued, stop, drain, section and unlock
    /// for all three; deferred only for the one that deferred work.
    /// </summary>
    [Fact]
    public void Every_write_is_timed_once_in_each_of_its_phases()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        h.StartIoThread("io0");
        h.StartIoThread("io1");
        var first = h.RequestWrite("W1", section => section.Defer("close", _ => Task.CompletedTask));
        h.Await(first.Completed, "W1 completed");
        var second = h.RequestWrite("W2");
        var third = h.RequestWrite("W3");
        h.Await(third.Completed, "W3 completed");
        h.StepUntil(() => h.Status().Phases.Unlock.Count == 3, "every context acknowledged W3's EndWrite");

        var phases = h.Status().Phases;
        Assert.Equal(
            (3L, 3L, 3L, 3L, 3L, 1L),
            (phases.Queued.Count, phases.Stop.Count, phases.Drain.Count, phases.Section.Count, phases.Unlock.Count, phases.Deferred.Count));
        Assert.True(second.Completed.IsCompletedSuccessfully);
        h.AssertNoViolations();
    }

    /// <summary>
    /// The drain names the reader it waited for last: r1 on io0 and r2 on io1 are inside when W1
    /// asks; r2 leaves first, r1 last, so the status names r1, on io0, as the reader the longest
    /// (here the only) drain waited for.
    /// <code>
    ///   io0: r1 ──────────────────────┐ leaves last
    ///   io1: r2 ────────┐             │
    ///   W1:        BeginWrite ······· grant
    /// </code>
    /// </summary>
    [Fact]
    public void The_status_names_the_reader_a_drain_waited_for_last()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var r1 = h.Lock(io0, "r1");
        var r2 = h.Lock(io1, "r2");
        var writer = h.RequestWrite("W1");
        h.StepUntil(() => h.Status().Contexts.All(c => c.ReportedEpoch == 1), "both IoThreads reported to W1");
        Assert.Null(h.Status().Phases.SlowestDrain);

        h.Unlock(r2);
        h.StepUntilIdle();
        Assert.False(writer.Entered.IsCompleted, "r1 is still inside");
        h.Unlock(r1);
        h.Await(writer.Completed, "W1 completed");

        var slowest = h.Status().Phases.SlowestDrain;
        Assert.NotNull(slowest);
        Assert.Equal((1L, new DrainReader("io0", "r1", Reader.Kind)), (slowest.Epoch, slowest.LastReader));
        h.AssertNoViolations();
    }

    /// <summary>
    /// Through a host aggregator the reader is named too: the host's report carries the name of
    /// the IoThread's reader whose unlock changed the host's sum.
    /// <code>
    ///   Coordinator ── host:a ── a-io0 (r1 inside)
    /// </code>
    /// </summary>
    [Fact]
    public void A_host_aggregator_passes_on_the_name_of_the_reader_that_left()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var host = h.StartHost("a");
        var io = h.StartIoThread("a-io0", registry: host.Ref);
        var reader = h.Lock(io, "r1");
        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        Assert.False(writer.Entered.IsCompleted);

        h.Unlock(reader);
        h.Await(writer.Completed, "W1 completed");

        Assert.Equal(new DrainReader("a-io0", "r1", Reader.Kind), h.Status().Phases.SlowestDrain?.LastReader);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Asked since an earlier status, the figures are of the writes after it: W1 waited for r1,
    /// W2 for nobody; since W1, one write is counted and no reader is named, while the whole
    /// history still names r1.
    /// </summary>
    [Fact]
    public void A_status_since_an_earlier_one_covers_only_the_writes_after_it()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var reader = h.Lock(io, "r1");
        var first = h.RequestWrite("W1");
        h.StepUntilIdle();
        h.Unlock(reader);
        h.Await(first.Completed, "W1 completed");
        var before = h.Status();

        var second = h.RequestWrite("W2");
        h.Await(second.Completed, "W2 completed");
        var since = h.Await(h.Coordinator.Ask<GraphLockStatus>(new QueryGraphLock { Since = before }), "the Coordinator answered", [h.CoordinatorLoop!]);

        Assert.Equal((1L, 1L, 1L), (since.WriteWait.Count, since.Phases.Stop.Count, since.Phases.Drain.Count));
        Assert.Equal((2L, null), (since.Phases.SlowestDrain!.Epoch, since.Phases.SlowestDrain.LastReader));
        Assert.Equal(new DrainReader("io0", "r1", Reader.Kind), h.Status().Phases.SlowestDrain?.LastReader);
    }

    /// <summary>A write that finds no reader inside has nobody to name: its drain is timed, with no last reader.</summary>
    [Fact]
    public void A_drain_with_no_reader_inside_names_none()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        h.StartIoThread("io0");
        var writer = h.RequestWrite("W1");
        h.Await(writer.Completed, "W1 completed");

        var phases = h.Status().Phases;
        Assert.Equal(1, phases.Drain.Count);
        Assert.Null(phases.SlowestDrain!.LastReader);
    }
}
