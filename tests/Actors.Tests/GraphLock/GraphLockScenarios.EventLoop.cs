using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Microsoft.Extensions.Time.Testing;
using Xunit.Sdk;

namespace Actors.Tests.GraphLock;

/// <summary>The event loop (AioContext): bottom halves, wake-ups, timers, and a reader between the writer's checks.</summary>
public sealed partial class GraphLockScenarios
{
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
