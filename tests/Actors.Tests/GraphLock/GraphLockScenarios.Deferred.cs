using Actors.GraphLock;
using Actors.IoThreads;

namespace Actors.Tests.GraphLock;

/// <summary>Deferred work after write-unlock (bdrv_schedule_unref), nested writes, failing bodies and actions.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ deferred actions (bdrv_schedule_unref)

    /// <summary>
    /// Write step 5 and QEMU's lesson: deferred actions run after write-unlock, once the parked
    /// readers were resumed, exactly once, in the order deferred; a writer queued meanwhile does
    /// not run between them (QEMU ran every main-loop BH there and hit a use-after-free).
    /// </summary>
    [Fact]
    public void Deferred_actions_run_after_unlock_after_parked_readers_resumed_once_in_order_and_nothing_queued_runs_between()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var runs = new Dictionary<string, int>();
        var bGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Reader? parked = null;

        void Note(string name, WriteScope section)
        {
            runs[name] = runs.GetValueOrDefault(name) + 1;
            h.Journal.Add($"{name} runs (section open: {section.IsOpen}, r1 resumed: {parked!.Granted.IsCompleted})");
        }

        var first = h.RequestWrite("W1", section =>
        {
            section.Defer("A", _ =>
            {
                Note("A", section);
                return Task.CompletedTask;
            });
            section.Defer("B", async _ =>
            {
                Note("B", section);
                // The Coordinator serves other messages meanwhile (W2's request among them).
                await bGate.Task;
                h.Journal.Add("B resumes");
            });
            section.Defer("C", _ =>
            {
                Note("C", section);
                return Task.CompletedTask;
            });
        }, hold: true);
        h.Await(first.Entered, "W1 entered");
        parked = h.Lock(io, "r1", thenUnlock: true);
        var second = h.RequestWrite("W2");
        h.StepUntilIdle();
        Assert.True(parked.IsParked);
        Assert.False(second.Entered.IsCompleted);

        first.Release();
        h.StepUntil(() => runs.ContainsKey("B"), "B started");
        h.StepUntilIdle();
        Assert.False(second.Entered.IsCompleted, "W2 waits while a deferred action is still running");
        bGate.SetResult();
        h.Await(second.Completed, "W2 completed");
        Assert.Equal(
            ["W1 enters", "W1 leaves",
             "A runs (section open: False, r1 resumed: True)",
             "B runs (section open: False, r1 resumed: True)", "B resumes",
             "C runs (section open: False, r1 resumed: True)",
             "W2 enters", "W2 leaves"],
            h.Journal.Only("W", "A", "B", "C"));
        var journal = h.Journal.Entries.ToList();
        Assert.True(journal.IndexOf("r1 reads") < journal.IndexOf("W2 enters"), "the resumed reader runs before the next writer");

        var third = h.RequestWrite("W3");
        h.Await(third.Completed, "W3 completed");
        h.StepUntilIdle();
        Assert.Equal(new Dictionary<string, int> { ["A"] = 1, ["B"] = 1, ["C"] = 1 }, runs);
        Assert.Equal(3, h.Status().DeferredActionsRun);
        h.AssertNoViolations();
    }

    /// <summary>
    /// A deferred action may take the write lock itself (DeferredScope.WriteAsync: a RequestWrite
    /// from the writer whose deferred work runs): that write is served before the writers queued
    /// meanwhile, so it completes instead of deadlocking, and what it defers runs in turn.
    /// </summary>
    [Fact]
    public void A_deferred_action_that_takes_the_write_lock_itself_completes()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var first = h.RequestWrite("W1", section => section.Defer("D", async deferred =>
        {
            h.Journal.Add("D starts");
            var nested = await deferred.WriteAsync("N", inner =>
            {
                h.Journal.Add("N writes");
                inner.Defer("E", _ =>
                {
                    h.Journal.Add("E runs");
                    return Task.CompletedTask;
                });
                return Task.CompletedTask;
            });
            h.Journal.Add($"D ends (N was epoch {nested.Epoch})");
        }), hold: true);
        h.Await(first.Entered, "W1 entered");
        var reader = h.Lock(io, "r1", thenUnlock: true);
        var second = h.RequestWrite("W2");

        first.Release();
        h.Await(second.Completed, "W2 completed");
        h.StepUntilIdle();
        Assert.Equal(
            ["W1 enters", "W1 leaves", "D starts", "N writes", "D ends (N was epoch 2)", "E runs", "W2 enters", "W2 leaves"],
            h.Journal.Only("W", "D", "N", "E"));
        Assert.True(reader.IsReleased);
        var status = h.Status();
        Assert.Equal(3, status.WritesDone);
        Assert.Equal(2, status.DeferredActionsRun);
        h.AssertNoViolations();
    }

    /// <summary>A write body that throws still unlocks: its requester gets the failure, parked readers resume, the next writer runs.</summary>
    [Fact]
    public void A_failing_write_body_still_unlocks_and_the_requester_gets_the_failure()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var failing = h.RequestWrite("W1", async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("node 'disk0' is busy");
        });
        h.Await(failing.Entered, "W1 entered");
        var reader = h.Lock(io, "r1", thenUnlock: true);
        var next = h.RequestWrite("W2");

        var failure = Assert.Throws<InvalidOperationException>(() => h.Await(failing.Completed, "W1 answered"));
        Assert.Equal("node 'disk0' is busy", failure.Message);
        h.Await(next.Completed, "W2 completed");
        Assert.Equal(["W1 enters", "W1 leaves", "r1 reads", "W2 enters", "W2 leaves"], h.Journal.Entries);
        Assert.True(reader.IsReleased);
        h.AssertNoViolations();
    }

    /// <summary>A deferred action that fails is reported and counted; the ones after it still run, once.</summary>
    [Fact]
    public void A_failing_deferred_action_does_not_stop_the_ones_after_it()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        h.StartIoThread("io0");
        var writer = h.RequestWrite("W1", section =>
        {
            section.Defer("A", _ => throw new InvalidOperationException("unref of 'disk0' failed"));
            section.Defer("B", _ =>
            {
                h.Journal.Add("B runs");
                return Task.CompletedTask;
            });
        });
        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => h.Journal.Entries.Contains("B runs"), "B ran");
        var status = h.Status();
        Assert.Equal((1L, 1L), (status.DeferredActionsRun, status.DeferredActionsFailed));
        h.AssertNoViolations();
    }
}
