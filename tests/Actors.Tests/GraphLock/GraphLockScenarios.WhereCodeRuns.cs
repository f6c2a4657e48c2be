using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;

namespace Actors.Tests.GraphLock;

/// <summary>Where code may run: the Coordinator's own reads, AssertWritable and AssertReadable.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ where code may run

    /// <summary>
    /// Read step 5: the Coordinator's own reads need no read lock (only it changes its state, and
    /// it never races itself): while a reader holds the lock and a writer waits for it, the
    /// Coordinator answers QueryGraphLock at once, in one step of its own loop with no IoThread
    /// stepped, and the answer shows the waiting writer and the reader it waits for. The write
    /// body, when it runs, runs on no IoThread and with no reader counted.
    /// </summary>
    [Fact]
    public void The_coordinator_answers_QueryGraphLock_at_once_while_a_writer_waits_for_a_reader()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var reader = h.Lock(io, "r1");
        var writer = h.RequestWrite("W1", section =>
        {
            section.AssertWritable();
            h.Journal.Add($"body on an IoThread: {IoThread.Current is not null}, readers: {h.Monitor.Readers}");
        });
        h.StepUntil(() => h.Context("io0") is { ReportedEpoch: 1 }, "io0 reported to the waiting writer");
        h.StepUntilIdle();

        var reply = h.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Dilated(GraphLockHarness.WaitLimit));
        Assert.True(h.Step([h.CoordinatorLoop!]));
        Assert.True(reply.IsCompletedSuccessfully, "the Coordinator answered in one step of its own, no IoThread stepped");
        var status = h.Await(reply, "the Coordinator answered");
        Assert.True(status.WriterActive && !status.InWriteSection, "the Coordinator answered while the writer waits");
        Assert.Equal(new ContextStatus("io0", Readers: 1, Parked: 0, ReportedEpoch: 1), Assert.Single(status.Contexts));
        Assert.True(reader.Holds);
        Assert.False(writer.Entered.IsCompleted);

        h.Unlock(reader);
        h.Await(writer.Completed, "W1 completed");
        Assert.Contains("body on an IoThread: False, readers: 0", h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>
    /// The write section is its writer's token (QEMU's assert_bdrv_graph_writable): AssertWritable
    /// passes while it is open, in the body and while the writer holds the write, and fails once
    /// the writer released it; a closed section can neither be released again nor take deferred work.
    /// </summary>
    [Fact]
    public void AssertWritable_fails_after_the_write_section_closed()
    {
        using var h = new GraphLockHarness(this);
        var bodyDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = h.RequestWrite("W1", async section =>
        {
            section.AssertWritable();
            await Task.Yield();
            section.AssertWritable();
            bodyDone.SetResult();
        }, hold: true);
        h.Await(bodyDone.Task, "W1's body ran");
        writer.Section!.AssertWritable();
        Assert.True(writer.Section.IsOpen, "a held write stays open after its body");

        writer.Release();
        var completed = h.Await(writer.Completed, "W1 completed");
        Assert.Equal(completed.Epoch, writer.Section.Epoch);
        var closed = Assert.Throws<InvalidOperationException>(() => writer.Section.AssertWritable());
        Assert.Contains("closed", closed.Message);
        Assert.Throws<InvalidOperationException>(() => writer.Section.Section.Release(runDeferred: false));
        Assert.Throws<InvalidOperationException>(() => writer.Section.Defer("late", _ => Task.CompletedTask));
        h.AssertNoViolations();
    }

    /// <summary>With debug assertions on, IoThread.AssertReadable fails unless a reader holds the lock there (and off the IoThread's loop).</summary>
    [Fact]
    public void AssertReadable_fails_without_a_read_lock_when_debug_assertions_are_on()
    {
        using var h = new GraphLockHarness(this);
        var io = h.StartIoThread("io0");
        var unlocked = Assert.Throws<InvalidOperationException>(() => h.RunOn(io, iothread => iothread.AssertReadable()));
        Assert.Contains("'io0'", unlocked.Message);

        var reader = h.Lock(io, "r1");
        h.RunOn(io, iothread => iothread.AssertReadable());
        Assert.Throws<InvalidOperationException>(() => io.Instance.AssertReadable());
        h.Unlock(reader);
        Assert.Throws<InvalidOperationException>(() => h.RunOn(io, iothread => iothread.AssertReadable()));
    }

    /// <summary>Debug assertions are a switch: off, AssertReadable costs a branch and never throws on its loop.</summary>
    [Fact]
    public void AssertReadable_is_silent_when_debug_assertions_are_off()
    {
        using var h = new GraphLockHarness(this, debugAssertions: false);
        var io = h.StartIoThread("io0");
        h.RunOn(io, iothread => iothread.AssertReadable());
    }
}
