using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.GraphLock;

/// <summary>
/// The graph lock's promises (DESIGN §4), one scenario each, on the <see cref="GraphLockHarness"/>.
/// Scenarios that depend on an interleaving run every party on manual loops and step them; the
/// load and stress scenarios run on threaded loops and only wait, bounded, for outcomes.
/// </summary>
public sealed class GraphLockScenarios : TestKit
{
    private readonly ITestOutputHelper _output;

    public GraphLockScenarios(ITestOutputHelper output)
        : base("akka.loglevel = INFO", output)
    {
        _output = output;
    }

    // ================================================================ read side

    /// <summary>
    /// Read step 1: the fast path is a local increment and a flag check. With a probe standing in
    /// for the Coordinator, a hundred lock/unlock pairs send it nothing; the same unlock while a
    /// writer is active is reported (so the probe would have seen a message had there been one).
    /// </summary>
    [Fact]
    public void A_read_on_the_fast_path_sends_nothing_to_the_coordinator()
    {
        using var h = new GraphLockHarness(this);
        var registry = CreateTestProbe("registry");
        var io = h.StartIoThread("io0", registry: registry.Ref, awaitRegistered: false);
        var register = registry.ExpectMsg<RegisterContext>();
        register.Ref.Tell(new ContextRegistered("io0", Epoch: 0, WriterActive: false), registry.Ref);
        h.StepUntil(() => !h.IoStatus(io).WriterActive, "io0 took its registration");

        for (var i = 0; i < 100; i++)
        {
            var reader = h.Lock(io, "r" + i);
            Assert.True(reader.Entered.IsCompletedSuccessfully, "the fast path grants the lock at once");
            h.Unlock(reader);
        }
        h.StepUntilIdle();
        // io0 runs only when this thread steps it, so whatever it sent is already queued.
        registry.ExpectNoMsg(TimeSpan.Zero);

        var held = h.Lock(io, "held");
        io.Ref.Tell(new BeginWrite(1), registry.Ref);
        h.StepUntilIdle();
        Assert.Equal(new ReaderReport("io0", 1, Readers: 1, Parked: 0), registry.ExpectMsg<ReaderReport>(TimeSpan.Zero));
        h.Unlock(held);
        Assert.Equal(new ReaderReport("io0", 1, Readers: 0, Parked: 0), registry.ExpectMsg<ReaderReport>(TimeSpan.Zero));
        io.Ref.Tell(new EndWrite(1), registry.Ref);
        h.StepUntilIdle();
        registry.ExpectMsg<WriteEnded>(TimeSpan.Zero);
        h.AssertNoViolations();
    }

    /// <summary>Write step 3: the write section starts only once the sum of readers is zero.</summary>
    [Fact]
    public void A_writer_waits_while_a_reader_holds_the_lock_and_enters_when_it_is_released()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var reader = h.Lock(io, "r1");

        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        // Everything is stepped by this thread and nothing is left to run: the writer waits for r1.
        Assert.False(writer.Entered.IsCompleted);
        var status = h.Status();
        Assert.True(status.WriterActive);
        Assert.False(status.InWriteSection);
        Assert.Equal(new ContextStatus("io0", Readers: 1, Parked: 0, ReportedEpoch: 1), h.Context("io0"));

        h.Unlock(reader);
        h.Await(writer.Completed, "W1 completed");
        Assert.Equal(0, writer.ReadersAtEntry);
        Assert.Equal(["r1 reads", "W1 enters", "W1 leaves"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>Read step 2 and write step 5: readers arriving during a write park, and resume in arrival order at unlock.</summary>
    [Fact]
    public void Readers_arriving_during_a_write_are_parked_and_run_in_arrival_order_after_unlock()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var writer = h.RequestWrite("W1", hold: true);
        h.Await(writer.Entered, "W1 entered");

        Reader[] readers = [h.Lock(io0, "r1"), h.Lock(io1, "r2"), h.Lock(io0, "r3"), h.Lock(io0, "r4"), h.Lock(io1, "r5")];
        h.StepUntilIdle();
        Assert.All(readers, r => Assert.True(r.IsParked, $"{r} parks while W1 writes"));
        Assert.Equal(3, h.IoStatus(io0).Parked);
        Assert.Equal(2, h.IoStatus(io1).Parked);

        writer.Release();
        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => readers.All(r => r.Entered.IsCompleted), "the parked readers ran");
        var order = h.Journal.Entries;
        Assert.Equal(["W1 enters", "W1 leaves"], order.Take(2));
        Assert.Equal(["r1 reads", "r3 reads", "r4 reads"], h.Journal.Only("r1", "r3", "r4"));
        Assert.Equal(["r2 reads", "r5 reads"], h.Journal.Only("r2", "r5"));
        Assert.Equal(0, h.IoStatus(io0).Parked);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Write step 5: readers resumed by an EndWrite are counted before the next BeginWrite reaches
    /// their IoThread (messages between two actors stay in order), so a queued writer waits for
    /// them: neither side starves.
    /// </summary>
    [Fact]
    public void Readers_resumed_at_unlock_run_before_the_next_queued_writer()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var first = h.RequestWrite("W1", hold: true);
        h.Await(first.Entered, "W1 entered");
        Reader[] readers = [h.Lock(io, "r1", thenUnlock: true), h.Lock(io, "r2", thenUnlock: true)];
        var second = h.RequestWrite("W2");

        first.Release();
        h.Await(second.Completed, "W2 completed");
        Assert.Equal(["W1 enters", "W1 leaves", "r1 reads", "r2 reads", "W2 enters", "W2 leaves"], h.Journal.Entries);
        Assert.All(readers, r => Assert.True(r.IsReleased));
        h.AssertNoViolations();
    }

    /// <summary>
    /// Write step 2 (the drain): once BeginWrite arrived, new readers park, so a stream of readers
    /// that always overlap (the next arrives before the last leaves, so the count never falls to
    /// zero on its own) cannot starve a writer. Threaded loops; bounded by the writes.
    /// </summary>
    [Fact]
    public void A_constant_stream_of_new_readers_cannot_starve_a_writer()
    {
        using var h = new GraphLockHarness(this);
        var ios = new[] { h.StartIoThread("io0", manual: false), h.StartIoThread("io1", manual: false) };
        var streams = ios.SelectMany(io => new[] { new ReaderStream(io), new ReaderStream(io) }).ToList();
        streams.ForEach(s => s.Start());
        h.StepUntil(() => streams.All(s => s.Requests > 20), "every reader stream is flowing");

        for (var i = 1; i <= 5; i++)
        {
            var writer = h.RequestWrite("W" + i);
            h.Await(writer.Completed, $"W{i} completed while readers kept arriving");
            Assert.Equal(0, writer.ReadersAtEntry);
            // The streams resume after the write (their parked requests run), they were not dropped.
            var after = streams.Sum(s => s.Requests);
            h.StepUntil(() => streams.Sum(s => s.Requests) > after + 20, "the reader streams resumed after the write");
        }

        streams.ForEach(s => s.Stop());
        h.StepUntil(() => streams.All(s => s.IsIdle), "the reader streams stopped");
        Assert.Equal(0, h.Monitor.Readers);
        Assert.True(h.IoStatus(ios[0]).ParkedTotal > 0, "readers parked during the writes");
        h.AssertNoViolations();
    }

    /// <summary>
    /// The lock's one promise under load: 30 writers and a flood of readers (some of them
    /// unlocking on another IoThread) on threaded loops, and no reader is ever inside a write
    /// section, neither by the monitor nor by what each write body sees while it runs.
    /// </summary>
    [Fact]
    public void No_reader_runs_inside_a_write_section_under_load()
    {
        using var h = new GraphLockHarness(this);
        var ios = new[] { h.StartIoThread("io0", manual: false), h.StartIoThread("io1", manual: false), h.StartIoThread("io2", manual: false) };
        var streams = ios.SelectMany((io, i) => new[] { new ReaderStream(io), new ReaderStream(io, migrateTo: ios[(i + 1) % ios.Length], migrateEvery: 3) }).ToList();
        streams.ForEach(s => s.Start());
        var seenInside = 0;
        var deferredRun = 0;

        async Task Body(WriteScope section)
        {
            foreach (var io in ios)
            {
                // The section stays open while each IoThread runs an iteration: readers arriving there meanwhile must park.
                seenInside = Math.Max(seenInside, h.Monitor.Readers);
                var visited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                io.Loop.Post(() => visited.SetResult());
                await visited.Task;
            }
            seenInside = Math.Max(seenInside, h.Monitor.Readers);
            section.Defer("count", _ =>
            {
                Interlocked.Increment(ref deferredRun);
                return Task.CompletedTask;
            });
        }

        var writers = new List<Writer>();
        for (var i = 0; i < 30; i++)
        {
            writers.Add(h.RequestWrite("W" + i, Body));
            if (i % 3 == 2)
            {
                h.Await(writers[^1].Completed, $"W{i} completed");
            }
        }
        foreach (var writer in writers)
        {
            h.Await(writer.Completed, $"{writer} completed");
        }
        streams.ForEach(s => s.Stop());
        h.StepUntil(() => streams.All(s => s.IsIdle), "the reader streams stopped");
        h.StepUntil(() => Volatile.Read(ref deferredRun) == 30, "every deferred action ran");
        // Each writer runs its deferred action and then tells the Coordinator (DeferredDone).
        h.StepUntil(() => h.Status().DeferredActionsRun == 30, "the Coordinator heard of every deferred action");

        h.AssertNoViolations();
        Assert.Equal(0, seenInside);
        Assert.All(writers, w => Assert.Equal(0, w.ReadersAtEntry));
        Assert.Equal(0, h.Monitor.Readers);
        Assert.True(streams.Sum(s => s.Requests) > 100, "readers ran meanwhile");
        var status = h.Status();
        Assert.Equal(30, status.WritesDone);
        Assert.Equal(30, status.DeferredActionsRun);
    }

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
        Assert.Equal(new ReaderReport("host:a", 2, 0, 0), coordinator.ExpectMsg<ReaderReport>(TimeSpan.Zero));
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

    // ================================================================ the event loop (AioContext)

    /// <summary>QEMU test-aio.c test_bh_schedule: a scheduled bottom half runs once, in the next iteration.</summary>
    [Fact]
    public void A_scheduled_bottom_half_runs_once_in_the_next_iteration()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        var runs = 0;
        var bh = loop.NewBottomHalf(() => runs++);
        Assert.False(loop.RunOnce());
        bh.Schedule();
        Assert.True(bh.IsScheduled);
        Assert.True(loop.RunOnce());
        Assert.Equal(1, runs);
        Assert.False(loop.RunOnce());
        Assert.Equal(1, runs);
    }

    /// <summary>
    /// test_bh_schedule10: a bottom half that reschedules itself runs once per iteration until it
    /// stops; one it schedules for another bottom half also waits for the next iteration.
    /// </summary>
    [Fact]
    public void A_bottom_half_that_reschedules_itself_runs_once_per_iteration_until_it_stops()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        var runs = 0;
        BottomHalf? self = null;
        self = loop.NewBottomHalf(() =>
        {
            if (++runs < 10)
            {
                self!.Schedule();
            }
        });
        self.Schedule();
        for (var i = 1; i <= 10; i++)
        {
            Assert.True(loop.RunOnce());
            Assert.Equal(i, runs);
        }
        Assert.False(loop.RunOnce());
        Assert.Equal(10, runs);

        var order = new List<string>();
        BottomHalf? second = null;
        var first = loop.NewBottomHalf(() =>
        {
            order.Add("first");
            second!.Schedule();
        });
        second = loop.NewBottomHalf(() => order.Add("second"));
        first.Schedule();
        loop.RunOnce();
        Assert.Equal(["first"], order);
        loop.RunOnce();
        Assert.Equal(["first", "second"], order);
    }

    /// <summary>
    /// A bottom half that reschedules itself forever does not starve the mailbox: an actor on the
    /// same loop gets its messages each iteration (manual loop), and a threaded loop keeps
    /// answering while it spins.
    /// </summary>
    [Fact]
    public void A_self_rescheduling_bottom_half_never_starves_the_mailbox()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        var echo = Sys.ActorOf(Props.Create(() => new Echo()).WithDispatcher(h.Register(loop)), "echo");
        h.Started(echo, "echo started", [loop]);
        var runs = 0;
        BottomHalf? spinner = null;
        spinner = loop.NewBottomHalf(() =>
        {
            Interlocked.Increment(ref runs);
            spinner!.Schedule();
        });
        spinner.Schedule();
        for (var i = 1; i <= 20; i++)
        {
            echo.Tell(i, TestActor);
            loop.RunOnce();
            Assert.Equal(i, ExpectMsg<int>(TimeSpan.Zero));
            Assert.Equal(i, Volatile.Read(ref runs));
        }

        h.StartThread(loop);
        for (var i = 0; i < 100; i++)
        {
            echo.Tell(i, TestActor);
        }
        Assert.Equal(Enumerable.Range(0, 100).Cast<object>(), ReceiveN(100, GraphLockHarness.WaitLimit));
        spinner.Delete();
        var stopped = Volatile.Read(ref runs);
        Assert.True(stopped > 20);
        echo.Tell("after delete", TestActor);
        ExpectMsg("after delete", GraphLockHarness.WaitLimit);
    }

    /// <summary>test_bh_cancel and test_bh_delete: a cancelled or deleted bottom half does not run; a cancelled one may be scheduled again, a deleted one not.</summary>
    [Fact]
    public void Cancelled_or_deleted_bottom_halves_do_not_run()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        int cancelledRuns = 0, deletedRuns = 0;
        var cancelled = loop.NewBottomHalf(() => cancelledRuns++);
        var deleted = loop.NewBottomHalf(() => deletedRuns++);
        cancelled.Schedule();
        deleted.Schedule();
        cancelled.Cancel();
        deleted.Delete();
        Assert.False(loop.RunOnce());
        Assert.Equal((0, 0), (cancelledRuns, deletedRuns));

        cancelled.Schedule();
        deleted.Schedule();
        Assert.False(deleted.IsScheduled);
        loop.RunUntilIdle();
        Assert.Equal((1, 0), (cancelledRuns, deletedRuns));
    }

    /// <summary>
    /// test_bh_delete_from_cb and test_bh_delete_from_cb_many: bottom halves that delete
    /// themselves from their own callback (after 1, 3, 2 and 4 runs) do so safely, each runs
    /// exactly its count, and the others on the list keep running meanwhile.
    /// </summary>
    [Fact]
    public void A_bottom_half_may_delete_itself_from_its_own_callback()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        var max = new[] { 1, 3, 2, 4 };
        var runs = new int[max.Length];
        var bhs = new BottomHalf[max.Length];
        for (var i = 0; i < max.Length; i++)
        {
            var index = i;
            bhs[i] = loop.NewBottomHalf(() =>
            {
                if (++runs[index] < max[index])
                {
                    bhs[index].Schedule();
                }
                else
                {
                    bhs[index].Delete();
                }
            });
        }
        foreach (var bh in bhs)
        {
            bh.Schedule();
        }
        Assert.True(loop.RunOnce());
        Assert.Equal([1, 1, 1, 1], runs);
        Assert.True(bhs[0].IsDeleted);

        Assert.Equal(3, loop.RunUntilIdle(maxIterations: 100));
        Assert.Equal(max, runs);
        Assert.All(bhs, bh => Assert.True(bh.IsDeleted));
        bhs[3].Schedule();
        Assert.False(loop.RunOnce());
        Assert.Equal(max, runs);
    }

    /// <summary>A one-shot bottom half (aio_bh_schedule_oneshot) runs once; scheduling a pending bottom half again has no further effect.</summary>
    [Fact]
    public void A_one_shot_runs_once_and_scheduling_twice_before_a_run_runs_once()
    {
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("bh");
        int oneShots = 0, twice = 0;
        loop.ScheduleOneShot(() => oneShots++);
        var bh = loop.NewBottomHalf(() => twice++);
        bh.Schedule();
        bh.Schedule();
        Assert.True(loop.RunOnce());
        Assert.False(loop.RunOnce());
        Assert.Equal((1, 1), (oneShots, twice));
    }

    /// <summary>
    /// Asynchronous disk I/O completes back on the IoThread's own thread: a request that awaits
    /// work finishing on a pool thread resumes on its loop, still holding its read lock there.
    /// </summary>
    [Fact]
    public void A_request_resumes_on_its_own_IoThread_after_asynchronous_IO_and_keeps_its_read_lock()
    {
        using var h = new GraphLockHarness(this);
        var io = h.StartIoThread("io0", manual: false);
        (int Before, int Completion, int After) threads = default;
        var resumedOnLoop = false;
        var request = h.RunOn(io, async iothread =>
        {
            await iothread.ReadLockAsync();
            var before = Environment.CurrentManagedThreadId;
            // The "disk I/O": completes on a pool thread.
            var completion = await Task.Run(() => Environment.CurrentManagedThreadId);
            threads = (before, completion, Environment.CurrentManagedThreadId);
            resumedOnLoop = io.Loop.IsCurrent;
            iothread.AssertReadable();
            iothread.ReadUnlock();
        });
        h.Await(request, "the request completed");
        Assert.True(resumedOnLoop);
        Assert.Equal(threads.Before, threads.After);
        Assert.NotEqual(threads.Before, threads.Completion);
        Assert.Equal(0, h.Monitor.Readers);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Notify is never lost (a wake-up is backed by state the sleeper re-checks): each round,
    /// several threads at once post a callback, schedule a bottom half and message an actor on a
    /// threaded loop that has just gone to sleep, and every one of them runs. 500 rounds.
    /// </summary>
    [Fact]
    public void Notify_from_many_threads_never_loses_a_wake_up()
    {
        const int threads = 4;
        const int rounds = 500;
        using var h = new GraphLockHarness(this);
        var loop = h.NewLoop("notify", manual: false);
        var actor = Sys.ActorOf(Props.Create(() => new Runner()).WithDispatcher(h.Register(loop)), "runner");
        // Not disposed: if a round fails, workers and the loop may still touch them.
        var done = new CountdownEvent(threads * 3);
        var signal = new Action(() => done.Signal());
        var bhs = Enumerable.Range(0, threads).Select(_ => loop.NewBottomHalf(signal)).ToArray();
        var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                start.SignalAndWait();
                loop.Post(signal);
                bhs[i].Schedule();
                actor.Tell(signal);
            }
        }) { IsBackground = true, Name = "notifier " + i }).ToList();
        workers.ForEach(w => w.Start());

        for (var round = 0; round < rounds; round++)
        {
            done.Reset();
            start.SignalAndWait();
            if (!done.Wait(Dilated(GraphLockHarness.WaitLimit)))
            {
                throw new XunitException($"Round {round}: {done.CurrentCount} of {threads * 3} wake-ups were lost.");
            }
        }
        workers.ForEach(w => Assert.True(w.Join(Dilated(GraphLockHarness.WaitLimit))));
    }

    /// <summary>
    /// Every unlock while a writer waits is reported (QEMU's 2026 rdunlock fix), so a reader that
    /// unlocks between the writer's checks is never missed. Everything is stepped by hand:
    /// Case 1: io0 reports readers = 1, then r1 unlocks: its report of 0 lets the writer in.
    /// Case 2: the unlock runs before io0 reads the queued BeginWrite: nothing to report then,
    /// and BeginWrite reports 0. (io0's mailbox runs as a callback posted to its loop when a
    /// message arrives, so the unlock is posted before the Coordinator sends BeginWrite.)
    /// </summary>
    [Fact]
    public void A_reader_that_unlocks_while_the_writer_is_between_checks_is_never_missed()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        EventLoop[] coordinator = [h.CoordinatorLoop!];
        EventLoop[] io0 = [io.Loop];

        // Case 1
        var r1 = h.Lock(io, "r1");
        var w1 = h.RequestWrite("W1");
        Assert.True(h.Step(coordinator));    // RequestWrite: BeginWrite(1) to io0
        Assert.True(h.Step(io0));            // BeginWrite: readers park from now on; reports 1
        Assert.True(h.Step(coordinator));    // the report of 1: the writer waits
        Assert.False(w1.Entered.IsCompleted);
        Assert.Equal(1, h.Context("io0")!.Readers);
        h.Unlock(r1);                        // one iteration of io0: the unlock reports 0
        Assert.True(h.Step(coordinator));    // the report of 0: the writer enters
        Assert.True(w1.Entered.IsCompleted);
        h.Await(w1.Completed, "W1 completed");
        h.StepUntilIdle();

        // Case 2
        var r2 = h.Lock(io, "r2");
        var w2 = h.RequestWrite("W2");
        var unlock = h.PostUnlock(r2);       // r2's unlock waits on io0's loop
        Assert.True(h.Step(coordinator));    // BeginWrite(2) waits in io0's mailbox, its run behind the unlock
        Assert.True(h.Step(io0));            // one iteration: the unlock first (no writer seen yet), then BeginWrite reports 0
        Assert.True(unlock.IsCompletedSuccessfully);
        Assert.Equal(0, h.IoStatus(io).Readers);
        Assert.True(h.Step(coordinator));
        Assert.True(w2.Entered.IsCompleted);
        h.Await(w2.Completed, "W2 completed");
        h.AssertNoViolations();
    }

    /// <summary>
    /// Timers fire in deadline order on a virtual clock (FakeTimeProvider), ties in the order armed; a cancelled
    /// timer does not fire and re-arming replaces the earlier deadline.
    /// </summary>
    [Fact]
    public void Timers_fire_in_deadline_order_on_the_virtual_clock()
    {
        using var h = new GraphLockHarness(this);
        var clock = new FakeTimeProvider();
        var loop = h.NewLoop("timers", manual: true, clock);
        var fired = new List<string>();

        OnLoop(h, loop, () =>
        {
            LoopTimer Arm(string name, int ms)
            {
                var timer = loop.NewTimer(() => fired.Add(name));
                timer.Arm(TimeSpan.FromMilliseconds(ms));
                return timer;
            }
            Arm("t30", 30);
            Arm("t10a", 10);
            Arm("t20", 20);
            Arm("t10b", 10);
            Arm("cancelled", 5).Cancel();
            var rearmed = Arm("rearmed", 50);
            rearmed.Arm(TimeSpan.FromMilliseconds(15));
        });
        Assert.Empty(fired);

        clock.Advance(TimeSpan.FromMilliseconds(10));
        loop.RunOnce();
        Assert.Equal(["t10a", "t10b"], fired);
        clock.Advance(TimeSpan.FromMilliseconds(20));
        loop.RunOnce();
        Assert.Equal(["t10a", "t10b", "rearmed", "t20", "t30"], fired);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        loop.RunUntilIdle();
        Assert.Equal(5, fired.Count);
    }

    /// <summary>A threaded loop sleeps until its clock reaches a timer's deadline: advancing a virtual clock wakes it.</summary>
    [Fact]
    public void A_threaded_loop_wakes_for_a_timer_when_its_clock_reaches_the_deadline()
    {
        using var h = new GraphLockHarness(this);
        var clock = new FakeTimeProvider();
        var loop = h.NewLoop("timers", manual: false, clock);
        using var fired = new ManualResetEventSlim();
        OnLoop(h, loop, () => loop.NewTimer(fired.Set).Arm(TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(fired.IsSet);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(fired.Wait(Dilated(GraphLockHarness.WaitLimit)), "the timer fired once the clock reached its deadline");
    }

    /// <summary>
    /// A system timer counts whole milliseconds: asked for 1.5 ms it may fire after 1 ms, before
    /// the loop timer is due. The loop must then arm its wake-up again for the rest, or it
    /// sleeps past the deadline (with nothing else to wake it, forever).
    /// </summary>
    [Fact]
    public void A_loop_timer_still_fires_when_the_clock_wakes_the_loop_early()
    {
        using var h = new GraphLockHarness(this);
        var clock = new MillisecondClock();
        var loop = h.NewLoop("timers", manual: false, clock);
        using var fired = new ManualResetEventSlim();
        OnLoop(h, loop, () => loop.NewTimer(fired.Set).Arm(TimeSpan.FromMilliseconds(1.5)));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        // Wait until the loop iterated after that early wake-up (a callback posted now runs in a
        // later iteration, and the one it posts in a later one still).
        OnLoop(h, loop, () => { });
        OnLoop(h, loop, () => { });
        Assert.False(fired.IsSet, "not due yet");
        Assert.True(clock.PendingTimers > 0, "the loop armed its wake-up again for the rest of the delay");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(fired.Wait(Dilated(GraphLockHarness.WaitLimit)), "the timer fired");
    }

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

    // ================================================================ randomized schedules

    /// <summary>
    /// Random schedules of lock, unlock (often on another IoThread), register, unregister, write
    /// (with deferred actions, some taking the write lock themselves) and single steps of every
    /// party, all on manual loops, so a seed replays exactly (GRAPHLOCK_SEED=n, or a range a-b).
    /// Checked: no write section while a reader holds the lock (monitor, and each write body
    /// against the model), every parked reader runs, every write completes, every deferred
    /// action runs exactly once, and a last write gets in (the balances add up to zero).
    /// </summary>
    [Fact]
    public void Random_schedules_keep_the_lock_safe_and_let_every_reader_writer_and_deferred_action_run()
    {
        foreach (var seed in Seeds())
        {
            try
            {
                var summary = RunSchedule(seed);
                _output.WriteLine($"seed {seed}: {summary}");
            }
            catch (Exception e)
            {
                throw new XunitException($"Schedule with seed {seed} failed (replay: GRAPHLOCK_SEED={seed}): {e}");
            }
        }
    }

    private static IEnumerable<int> Seeds()
    {
        var spec = Environment.GetEnvironmentVariable("GRAPHLOCK_SEED");
        if (string.IsNullOrWhiteSpace(spec))
        {
            return Enumerable.Range(1, 50);
        }
        var range = spec.Split('-', 2, StringSplitOptions.TrimEntries);
        var from = int.Parse(range[0]);
        var to = range.Length == 2 ? int.Parse(range[1]) : from;
        return Enumerable.Range(from, to - from + 1);
    }

    private string RunSchedule(int seed)
    {
        var random = new Random(seed);
        using var h = new GraphLockHarness(this, manualCoordinator: true, system: ActorSystem.Create("schedule-" + seed, DefaultConfig));
        var live = new List<IoThreadHandle>();
        var readers = new List<Reader>();
        var writers = new List<Writer>();
        var held = new List<Writer>();
        var deferredRuns = new Dictionary<string, int>();
        var failures = new List<string>();
        int ioIds = 0, readerIds = 0, writeIds = 0, stops = 0, nestedPending = 0, parked = 0, heldTotal = 0;

        // IoThreads register with the Coordinator or with one of up to two host aggregators.
        var hosts = Enumerable.Range(0, random.Next(3)).Select(i => h.StartHost("h" + i)).ToList();
        var registries = hosts.Select(host => host.Ref).Prepend(h.Coordinator).ToList();

        void StartIoThread() =>
            live.Add(h.StartIoThread("io" + ioIds++, registry: registries[random.Next(registries.Count)], awaitRegistered: false));

        // Every party of the lock, each on its manual loop.
        List<EventLoop> Parties() => [.. live.Select(io => io.Loop), .. hosts.Select(host => host.Loop), h.CoordinatorLoop!];

        IoThreadHandle Pick() => live[random.Next(live.Count)];

        void CheckNoReaders(string where)
        {
            var holding = readers.Where(r => r.Holds).Select(r => r.Name).ToList();
            if (holding.Count > 0)
            {
                failures.Add($"{where} runs while {string.Join(", ", holding)} hold the read lock");
            }
        }

        Func<WriteScope, Task> Body(string name, int depth) => async section =>
        {
            CheckNoReaders(name);
            for (var d = random.Next(3); d > 0; d--)
            {
                var id = $"{name}.d{d}";
                var nested = depth < 2 && random.Next(4) == 0;
                deferredRuns[id] = 0;
                section.Defer(id, async deferred =>
                {
                    deferredRuns[id]++;
                    if (nested)
                    {
                        nestedPending++;
                        await deferred.WriteAsync(id + ".w", Body(id + ".w", depth + 1));
                        nestedPending--;
                    }
                });
            }
            for (var turns = random.Next(3); turns > 0; turns--)
            {
                await Task.Yield();
                CheckNoReaders(name);
            }
        };

        for (var i = random.Next(1, 4); i > 0; i--)
        {
            StartIoThread();
        }
        for (var op = 0; op < 300; op++)
        {
            var roll = random.Next(100);
            if (roll < 22)
            {
                var reader = h.Lock(Pick(), "r" + readerIds++);
                readers.Add(reader);
                parked += reader.IsParked ? 1 : 0;
            }
            else if (roll < 40)
            {
                var inside = readers.Where(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased).ToList();
                if (inside.Count > 0)
                {
                    var reader = inside[random.Next(inside.Count)];
                    var stays = live.Contains(reader.LockedOn) && random.Next(10) < 6;
                    h.Unlock(reader, stays ? reader.LockedOn : Pick());
                }
            }
            else if (roll < 75)
            {
                var loops = Parties();
                h.Step([loops[random.Next(loops.Count)]]);
            }
            else if (roll < 82)
            {
                // A held write stays in its section across other messages until a later step releases it.
                var name = "W" + writeIds++;
                var hold = random.Next(4) == 0;
                var writer = h.RequestWrite(name, Body(name, depth: 0), hold);
                writers.Add(writer);
                if (hold)
                {
                    held.Add(writer);
                    heldTotal++;
                }
            }
            else if (roll < 86)
            {
                if (held.Count > 0)
                {
                    var writer = held[random.Next(held.Count)];
                    held.Remove(writer);
                    writer.Release();
                }
            }
            else if (roll < 90)
            {
                if (live.Count < 5)
                {
                    StartIoThread();
                }
            }
            else if (roll < 94)
            {
                // Only an IoThread whose nodes moved away stops: none of its readers still waits there.
                var candidates = live.Where(io => !readers.Any(r => r.LockedOn == io && !r.Entered.IsCompleted)).ToList();
                if (live.Count > 1 && candidates.Count > 0)
                {
                    var io = candidates[random.Next(candidates.Count)];
                    live.Remove(io);
                    io.Ref.Tell(StopIoThread.Instance);
                    h.StepUntilTerminated(io.Ref, $"{io} stopped", [io.Loop]);
                    stops++;
                }
            }
            else
            {
                StepAllInRandomOrder();
            }
        }

        // Drain: held writes finish, every reader leaves (on a random IoThread), parked ones once they got in.
        held.ForEach(w => w.Release());
        for (var round = 0; ; round++)
        {
            foreach (var reader in readers.Where(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased).ToList())
            {
                h.Unlock(reader, Pick());
            }
            var progress = StepAllInRandomOrder();
            if (writers.All(w => w.Completed.IsCompleted) && readers.All(r => r.IsReleased) && nestedPending == 0 && deferredRuns.Values.All(n => n > 0))
            {
                break;
            }
            if (!progress && !readers.Any(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased))
            {
                var status = h.Status();
                throw new XunitException(
                    $"Stuck: nothing left to run, yet {writers.Count(w => !w.Completed.IsCompleted)} writes wait, " +
                    $"{readers.Count(r => !r.Entered.IsCompleted)} readers are parked and {nestedPending} nested writes wait. " +
                    $"Inside: {string.Join(", ", writers.Where(w => w.Entered.IsCompleted && !w.Completed.IsCompleted))}. " +
                    $"Writers: {string.Join(", ", writers.Select(w => $"{w}:{w.Entered.Status}/{w.Completed.Status}/{w.Hold}"))}. " +
                    $"Coordinator: writer active {status.WriterActive}, in write section {status.InWriteSection}, epoch {status.Epoch}, " +
                    $"queued {status.QueuedWriters}, orphaned {status.Orphaned}, contexts {string.Join(", ", status.Contexts)}.");
            }
            if (round > 100_000)
            {
                throw new XunitException("The schedule did not drain within 100000 rounds.");
            }
        }
        h.StepUntilIdle();

        Assert.Empty(failures);
        h.AssertNoViolations();
        Assert.All(writers, w => Assert.IsType<WriteCompleted>(w.Completed.Result));
        Assert.All(deferredRuns, run => Assert.True(run.Value == 1, $"deferred action {run.Key} ran {run.Value} times"));
        var last = h.RequestWrite("last");
        h.Await(last.Completed, "a last write got in: the balances add up to zero");
        var final = h.Status();
        Assert.Equal(deferredRuns.Count, final.DeferredActionsRun);
        Assert.Equal(0, final.DeferredActionsFailed);
        Assert.Equal(0, final.Orphaned + final.Contexts.Sum(c => c.Readers));
        return $"{readers.Count} readers ({parked} parked, {readers.Count(r => r.LockedOn != r.UnlockedOn)} migrated), " +
            $"{writers.Count} writes (+{final.WritesDone - writers.Count - 1} nested, {heldTotal} held), {deferredRuns.Count} deferred, " +
            $"{ioIds} IoThreads ({stops} stopped) under {hosts.Count} hosts, orphaned {final.Orphaned}";

        bool StepAllInRandomOrder()
        {
            var loops = Parties().OrderBy(_ => random.Next()).ToList();
            var progress = false;
            foreach (var loop in loops)
            {
                progress |= h.Step([loop]);
            }
            return progress;
        }
    }

    // ================================================================ helpers

    /// <summary>Runs <paramref name="action"/> on <paramref name="loop"/>'s thread (a manual loop is stepped once) and waits for it.</summary>
    private void OnLoop(GraphLockHarness h, EventLoop loop, Action action)
    {
        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        loop.Post(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
            done.Set();
        });
        if (h.IsManual(loop))
        {
            loop.RunOnce();
        }
        Assert.True(done.Wait(Dilated(GraphLockHarness.WaitLimit)), $"code posted to loop '{loop.Name}' ran");
        if (failure is not null)
        {
            throw new InvalidOperationException($"Code posted to loop '{loop.Name}' failed.", failure);
        }
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    /// <summary>Runs the actions it is sent, on its loop.</summary>
    private sealed class Runner : ReceiveActor
    {
        public Runner() => Receive<Action>(action => action());
    }

    /// <summary>
    /// A stream of requests on one IoThread that always overlap: each takes the read lock, lets
    /// the next one arrive, and only then (an iteration later) unlocks, so the IoThread's count
    /// never falls to zero by itself. Every <c>migrateEvery</c>-th request unlocks on another
    /// IoThread (its node moved).
    /// </summary>
    private sealed class ReaderStream(IoThreadHandle io, IoThreadHandle? migrateTo = null, int migrateEvery = 0)
    {
        private volatile bool _stopping;
        private long _requests;
        private int _inFlight;

        public long Requests => Interlocked.Read(ref _requests);

        /// <summary>Stopped, and no request of the stream is inside or waiting.</summary>
        public bool IsIdle => _stopping && Volatile.Read(ref _inFlight) == 0;

        public void Start() => io.Loop.Post(Next);

        public void Stop() => _stopping = true;

        private void Next()
        {
            // Counted before the check, so IsIdle never misses a request that is starting.
            Interlocked.Increment(ref _inFlight);
            if (_stopping)
            {
                Interlocked.Decrement(ref _inFlight);
                return;
            }
            _ = RequestAsync(io.Instance);
        }

        private async Task RequestAsync(IoThread iothread)
        {
            await iothread.ReadLockAsync();
            var number = Interlocked.Increment(ref _requests);
            io.Loop.Post(Next);
            await Task.Yield();
            if (migrateTo is not null && number % migrateEvery == 0)
            {
                migrateTo.Loop.Post(() =>
                {
                    migrateTo.Instance.ReadUnlock();
                    Interlocked.Decrement(ref _inFlight);
                });
                return;
            }
            iothread.ReadUnlock();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>
    /// A clock that moves only when told to, whose timers, like system timers, count whole
    /// milliseconds: a timer asked for 1.5 ms fires after 1 ms, one asked for less than 1 ms at the
    /// next <see cref="Advance"/>. Its timers fire only in Advance, on the advancing thread, in
    /// deadline order. (FakeTimeProvider fires a timer due now at once, inside Change: the loop's
    /// re-arming for the rest of a millisecond would spin against a clock that never moves.)
    /// One-shot timers only: the loop's wake-up timer has no period.
    /// </summary>
    private sealed class MillisecondClock : TimeProvider
    {
        private readonly Lock _lock = new();
        private readonly List<Timer> _timers = [];
        private long _now;
        private long _sequence;

        /// <summary>Timers armed that have not fired yet.</summary>
        public int PendingTimers
        {
            get
            {
                lock (_lock)
                {
                    return _timers.Count;
                }
            }
        }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp()
        {
            lock (_lock)
            {
                return _now;
            }
        }

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

        public void Advance(TimeSpan by)
        {
            List<Timer> due;
            lock (_lock)
            {
                _now += by.Ticks;
                due = [.. _timers.Where(t => t.Due <= _now).OrderBy(t => t.Due).ThenBy(t => t.Sequence)];
                _timers.RemoveAll(due.Contains);
            }
            // Outside the lock: a callback may change its timer.
            due.ForEach(t => t.Fire());
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Timer(this, callback, state);
            timer.Change(dueTime, period);
            return timer;
        }

        private static TimeSpan Truncate(TimeSpan span) => TimeSpan.FromMilliseconds(Math.Floor(span.TotalMilliseconds));

        private sealed class Timer(MillisecondClock clock, TimerCallback callback, object? state) : ITimer
        {
            public long Due { get; private set; }

            public long Sequence { get; private set; }

            public void Fire() => callback(state);

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
                {
                    throw new NotSupportedException("This test clock has one-shot timers only.");
                }
                lock (clock._lock)
                {
                    clock._timers.Remove(this);
                    if (dueTime != Timeout.InfiniteTimeSpan)
                    {
                        Due = clock._now + Truncate(dueTime).Ticks;
                        Sequence = ++clock._sequence;
                        clock._timers.Add(this);
                    }
                }
                return true;
            }

            public void Dispose()
            {
                lock (clock._lock)
                {
                    clock._timers.Remove(this);
                }
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
