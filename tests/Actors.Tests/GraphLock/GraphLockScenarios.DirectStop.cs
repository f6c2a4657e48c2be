using Actors.GraphLock;

namespace Actors.Tests.GraphLock;

/// <summary>
/// A host aggregator stops its IoThreads' readers itself (IoThread.StopReaders): a write whose
/// readers are gone does not wait for the IoThreads' loops to run.
/// </summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ direct stop

    /// <summary>
    /// After the first write (io0 acknowledged its EndWrite), the second is granted while io0's
    /// loop does not run at all: only the Coordinator's and the aggregator's are stepped. A reader
    /// that comes to io0 afterwards parks until the write ends.
    /// <code>
    ///   Coordinator ── host:a ── a-io0 (not stepped during W2)
    /// </code>
    /// </summary>
    [Fact]
    public void A_write_with_no_reader_inside_is_granted_without_the_IoThreads_loop_running()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var (host, io) = StartStoppableHost(h);

        var second = h.RequestWrite("W2", hold: true);
        h.StepUntil(() => second.Entered.IsCompleted, "W2 entered without a-io0 running", [h.CoordinatorLoop!, host.Loop]);

        var reader = h.Lock(io, "r1", thenUnlock: true);
        Assert.True(reader.IsParked, "io0 parks readers from the aggregator's stop on");
        second.Release();
        h.StepUntil(() => reader.IsReleased, "r1 ran after W2");
        Assert.Equal(["W1 enters", "W1 leaves", "W2 enters", "W2 leaves", "r1 reads"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>
    /// A reader inside when the aggregator stops io0 is counted, and its unlock, run before io0
    /// hears BeginWrite, is reported (it saw the stop): the write waits for it and no longer.
    /// <code>
    ///   a-io0: r1 inside ── aggregator stops and counts 1 ── r1 unlocks (reports 0) ── BeginWrite
    /// </code>
    /// </summary>
    [Fact]
    public void A_reader_counted_by_the_aggregators_stop_holds_the_write_until_it_unlocks()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var (host, io) = StartStoppableHost(h);
        var reader = h.Lock(io, "r1");

        // Posted to io0 now, so it runs before the BeginWrite the aggregator sends next.
        var unlocked = h.PostUnlock(reader);
        var second = h.RequestWrite("W2");
        h.StepUntil(() => h.Context("host:a") is { ReportedEpoch: 2, Readers: 1 }, "the aggregator counted r1 for W2", [h.CoordinatorLoop!, host.Loop]);
        Assert.False(second.Entered.IsCompleted);

        h.Await(unlocked, "r1 unlocked");
        h.Await(second.Completed, "W2 completed");
        Assert.Equal(new DrainReader("a-io0", "r1", Reader.Kind), h.Status().Phases.SlowestDrain?.LastReader);
        h.AssertNoViolations();
    }

    /// <summary>Host a with IoThread a-io0, after a first write W1 whose EndWrite a-io0 acknowledged: the next write may stop a-io0 directly.</summary>
    private static (HostHandle Host, IoThreadHandle Io) StartStoppableHost(GraphLockHarness h)
    {
        var host = h.StartHost("a");
        var io = h.StartIoThread("a-io0", registry: host.Ref);
        var first = h.RequestWrite("W1");
        h.Await(first.Completed, "W1 completed");
        h.StepUntilIdle();
        return (host, io);
    }
}
