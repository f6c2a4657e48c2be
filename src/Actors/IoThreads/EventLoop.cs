using System.Collections.Concurrent;
using Actors.Concurrency;

namespace Actors.IoThreads;

/// <summary>
/// The event loop of an IoThread (QEMU's AioContext): one thread that runs, iteration after
/// iteration, posted callbacks (the Akka mailboxes of the actors bound to it, through
/// <see cref="EventLoopDispatcherConfigurator"/>, completions of disk I/O, continuations of async
/// flows), scheduled bottom halves, due timers and ready descriptors, and sleeps when nothing is
/// left. A loop made with <c>manual: true</c> has no thread: a test steps it with
/// <see cref="RunOnce"/> to get an exact interleaving.
/// </summary>
public sealed class EventLoop : IDisposable
{
    [ThreadStatic]
    private static EventLoop? t_current;

    private static long s_loops;

    private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> _posted = new();
    private readonly LockCnt _bottomHalvesLock = new();
    private readonly PriorityQueue<(LoopTimer Timer, long Sequence), (long Deadline, long Sequence)> _timers = new();
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 10);
    private readonly FdPoller? _poller;
    private readonly ITimer _wakeTimer;
    private readonly bool _ioWorkerAllowed;
    private Thread? _thread;
    private IoWorker? _ioWorker;
    private bool _ioWorkerClosed;
    private BottomHalf? _bottomHalvesHead;
    private BottomHalf? _bottomHalvesTail;
    private long _bottomHalfGeneration;
    private long _timerSequence;
    private long _armedWakeDeadline = long.MaxValue;
    private int _wakeTimerSpent;
    private int _notifyMe;
    private int _notified;
    private volatile bool _stopping;

    /// <param name="name">Names the thread and the dispatcher (<c>iothread-&lt;name&gt;</c>).</param>
    /// <param name="clock">The clock timers run on: real time, or a virtual clock in tests.</param>
    /// <param name="manual">No thread: the owner calls <see cref="RunOnce"/>.</param>
    /// <param name="ioWorker">Whether the loop may start an <see cref="IoWorker"/> (false: file writes keep the .NET thread pool).</param>
    public EventLoop(string name, TimeProvider? clock = null, bool manual = false, bool ioWorker = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Clock = clock ?? TimeProvider.System;
        // Unique per loop: an IoThread stopped and added again under its name gets a new loop,
        // and Akka keeps a dispatcher per id for good.
        DispatcherId = $"iothread-{name}-{Interlocked.Increment(ref s_loops)}";
        SynchronizationContext = new LoopSynchronizationContext(this);
        // On Linux the loop sleeps in epoll, so it can also watch descriptors (sockets) itself.
        _poller = FdPoller.IsSupported ? new FdPoller(name) : null;
        _ioWorkerAllowed = ioWorker;
        _wakeTimer = Clock.CreateTimer(static state => ((EventLoop)state!).WakeTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (!manual)
        {
            StartThread();
        }
    }

    /// <summary>The loop whose thread is running this code, if any.</summary>
    public static EventLoop? Current => t_current;

    public string Name { get; }

    public TimeProvider Clock { get; }

    /// <summary>
    /// The id of this loop's Akka dispatcher: put an actor on the loop with
    /// <c>Props.WithDispatcher(loop.DispatcherId)</c> once <see cref="EventLoopDispatcherConfigurator.Register"/> ran.
    /// </summary>
    public string DispatcherId { get; }

    /// <summary>Posts continuations to this loop: <c>await</c> under it resumes on the loop's thread.</summary>
    public SynchronizationContext SynchronizationContext { get; }

    /// <summary>What the loop serves (its IoThread actor); set once by that owner.</summary>
    public object? Owner { get; internal set; }

    /// <summary>Iterations run so far.</summary>
    public long Iterations { get; private set; }

    internal long BottomHalfGeneration => Volatile.Read(ref _bottomHalfGeneration);

    public bool IsCurrent => t_current == this;

    /// <summary>Throws unless called on this loop's thread.</summary>
    public void AssertOnLoop()
    {
        if (t_current != this)
        {
            ThrowNotOnLoop();
        }
    }

    // Out of line, so that the check above inlines into hot paths (the read lock) as a compare.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ThrowNotOnLoop() =>
        throw new InvalidOperationException($"This must run on IoThread '{Name}', but runs on thread '{Thread.CurrentThread.Name}'.");

    /// <summary>
    /// Wakes the loop for another iteration; callable from any thread, never lost.
    /// </summary>
    /// <remarks>
    /// Case 1: the loop's "anything new?" exchange of <c>_notified</c> comes after ours: it sees
    /// 1 and iterates instead of sleeping. Case 2: it comes before ours: the loop had already
    /// written <c>_notifyMe = 1</c> (an interlocked write, before its exchange), so our read below
    /// sees 1 and we set the event it sleeps on. Both sides use full fences, so one case holds.
    /// </remarks>
    public void Notify()
    {
        Interlocked.Exchange(ref _notified, 1);
        if (Volatile.Read(ref _notifyMe) == 1)
        {
            if (_poller is { } poller)
            {
                poller.Wake();
            }
            else
            {
                _wake.Set();
            }
        }
    }

    /// <summary>Runs <paramref name="callback"/> on the loop's thread at its next iteration (any thread may post).</summary>
    public void Post(SendOrPostCallback callback, object? state)
    {
        _posted.Enqueue((callback, state));
        Notify();
    }

    public void Post(Action action) => Post(static state => ((Action)state!)(), action);

    /// <summary>
    /// Runs <paramref name="work"/> on the loop's thread (at once when already there) and
    /// completes with its result: how code elsewhere enters an IoThread and waits for it.
    /// </summary>
    public Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (IsCurrent)
        {
            return work();
        }
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(static state =>
        {
            var (work, result) = ((Func<Task<T>>, TaskCompletionSource<T>))state!;
            work().ContinueWith(
                static (task, completion) =>
                {
                    var target = (TaskCompletionSource<T>)completion!;
                    if (task.IsFaulted)
                    {
                        target.SetException(task.Exception!.InnerExceptions);
                    }
                    else if (task.IsCanceled)
                    {
                        target.SetCanceled();
                    }
                    else
                    {
                        target.SetResult(task.Result);
                    }
                },
                result,
                TaskScheduler.Default);
        }, (work, result));
        return result.Task;
    }

    /// <summary>Whether this loop can watch file descriptors (<see cref="WatchFd"/>): on Linux, where it sleeps in epoll.</summary>
    public bool CanWatchFds => _poller is not null;

    /// <summary>
    /// Watches descriptor <paramref name="fd"/> from this loop (QEMU's aio_set_fd_handler): its
    /// callbacks run on the loop's thread, with no other thread woken in between. Any thread.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not on Linux (<see cref="CanWatchFds"/>).</exception>
    public FdWatch WatchFd(int fd) =>
        _poller?.Watch(fd, Name) ?? throw new PlatformNotSupportedException($"IoThread '{Name}' cannot watch descriptors on this platform.");

    /// <summary>
    /// The loop's file-write worker, started on first use: writes made here run on it and
    /// complete here. Null when turned off for this loop and once the loop stopped. Loop
    /// thread only.
    /// </summary>
    public IoWorker? IoWorker
    {
        get
        {
            AssertOnLoop();
            if (_ioWorker is null && _ioWorkerAllowed && !_ioWorkerClosed && !_stopping)
            {
                _ioWorker = new IoWorker(this);
            }
            return _ioWorker;
        }
    }

    /// <summary>Creates a bottom half (any thread); it runs only when scheduled.</summary>
    public BottomHalf NewBottomHalf(Action callback, string name = "bh")
    {
        ArgumentNullException.ThrowIfNull(callback);
        return AddBottomHalf(new BottomHalf(this, callback, name, oneShot: false));
    }

    /// <summary>Runs <paramref name="callback"/> once, at the next iteration (QEMU's <c>aio_bh_schedule_oneshot</c>).</summary>
    public void ScheduleOneShot(Action callback, string name = "oneshot")
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddBottomHalf(new BottomHalf(this, callback, name, oneShot: true)).Schedule();
    }

    /// <summary>Creates a timer on this loop's clock (loop thread only).</summary>
    public LoopTimer NewTimer(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new LoopTimer(this, callback);
    }

    /// <summary>
    /// Runs one iteration on the calling thread: posted callbacks (actor mailboxes among them),
    /// then bottom halves, then due timers, then ready descriptors, each as they stood when that step began (work added during a
    /// step waits for the next iteration). True when anything ran. Manual loops only.
    /// </summary>
    public bool RunOnce()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException($"IoThread '{Name}' runs on its own thread; only a manual loop is stepped by hand.");
        }
        var previous = t_current;
        t_current = this;
        var previousContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(SynchronizationContext);
        try
        {
            return Iterate();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            t_current = previous;
        }
    }

    /// <summary>Steps a manual loop until an iteration runs nothing (at most <paramref name="maxIterations"/>).</summary>
    public int RunUntilIdle(int maxIterations = 10_000)
    {
        var iterations = 0;
        while (iterations < maxIterations && RunOnce())
        {
            iterations++;
        }
        return iterations;
    }

    /// <summary>
    /// Hands a manual loop over to a thread of its own (a test that stepped it by hand lets the
    /// system run, and stop, freely from here on). No effect on a loop that has its thread.
    /// </summary>
    public void StartThread()
    {
        if (_thread is not null)
        {
            return;
        }
        _thread = new Thread(Loop) { IsBackground = true, Name = "iothread " + Name };
        _thread.Start();
    }

    /// <summary>Stops the loop's thread after its current iteration.</summary>
    public void Stop()
    {
        _stopping = true;
        Interlocked.Exchange(ref _notifyMe, 1);
        Notify();
    }

    public void Dispose()
    {
        Stop();
        if (_thread is null)
        {
            CloseIoWorker();
            _poller?.FireAll();
            _poller?.Dispose();
        }
        else if (_thread != Thread.CurrentThread)
        {
            _thread.Join();
        }
        _wakeTimer.Dispose();
    }

    internal void ArmTimer(LoopTimer timer, TimeSpan delay)
    {
        AssertOnLoop();
        var deadline = Clock.GetTimestamp() + (long)(delay.Ticks * (Clock.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        var sequence = ++_timerSequence;
        timer.ArmedSequence = sequence;
        timer.Deadline = deadline;
        _timers.Enqueue((timer, sequence), (deadline, sequence));
        ArmWakeTimer();
    }

    internal void CancelTimer(LoopTimer timer)
    {
        AssertOnLoop();
        // The queued entry goes stale and is skipped when it surfaces.
        timer.ArmedSequence = 0;
        timer.Deadline = null;
    }

    private BottomHalf AddBottomHalf(BottomHalf bottomHalf)
    {
        // Walkers may be on the list concurrently: appending publishes the node with one
        // volatile write, which a walker either sees (and checks its flags) or does not.
        _bottomHalvesLock.Lock();
        try
        {
            if (_bottomHalvesTail is null)
            {
                Volatile.Write(ref _bottomHalvesHead, bottomHalf);
            }
            else
            {
                Volatile.Write(ref _bottomHalvesTail.Next, bottomHalf);
            }
            _bottomHalvesTail = bottomHalf;
        }
        finally
        {
            _bottomHalvesLock.Unlock();
        }
        return bottomHalf;
    }

    private void Loop()
    {
        t_current = this;
        SynchronizationContext.SetSynchronizationContext(SynchronizationContext);
        while (!_stopping)
        {
            if (!Iterate())
            {
                Sleep();
            }
        }
        _wakeTimer.Dispose();
        // Whoever still waits for a descriptor here tries again, and finds another loop; this
        // thread never waits in epoll again. Off the loop's context first: a waiter that resumes
        // here must not queue its next step to a loop that will never run it.
        SynchronizationContext.SetSynchronizationContext(null);
        t_current = null;
        CloseIoWorker();
        _poller?.FireAll();
        _poller?.Dispose();
    }

    /// <summary>Sleeps until notified. The announce-then-recheck order is the argument of <see cref="Notify"/>.</summary>
    private void Sleep()
    {
        Interlocked.Exchange(ref _notifyMe, 1);
        if (_poller is { } poller)
        {
            if (Interlocked.Exchange(ref _notified, 0) == 0 && !_stopping)
            {
                poller.Wait(timeoutMs: -1);
            }
            Volatile.Write(ref _notifyMe, 0);
            poller.Dispatch();
            // The descriptors' callbacks ran outside an iteration: their writes go now.
            _ioWorker?.Submit();
            return;
        }
        if (Interlocked.Exchange(ref _notified, 0) == 0 && !_stopping)
        {
            _wake.Wait();
        }
        // A Set racing with this Reset is harmless: its work was queued before the Set, and an
        // iteration always follows a wake-up.
        _wake.Reset();
        Volatile.Write(ref _notifyMe, 0);
    }

    private bool Iterate()
    {
        Iterations++;
        Interlocked.Exchange(ref _notified, 0);
        var progress = RunPosted();
        progress |= PollBottomHalves();
        progress |= RunDueTimers();
        progress |= PollDescriptors();
        progress |= PollIoWorker();
        return progress;
    }

    /// <summary>
    /// Completes the writes the worker handed back, then hands it every write this
    /// iteration made, in one batch. Last, so that writes made by any step of the iteration
    /// (the completions' awaiters included) leave in this one.
    /// </summary>
    private bool PollIoWorker()
    {
        if (_ioWorker is not { } worker)
        {
            return false;
        }
        var completed = worker.Reap();
        worker.Submit();
        return completed;
    }

    /// <summary>The loop stops: writes still in flight complete (their awaiters run here), then the worker's thread ends.</summary>
    private void CloseIoWorker()
    {
        _ioWorkerClosed = true;
        _ioWorker?.Dispose();
    }

    /// <summary>Runs the descriptor watches that are ready now, without waiting (only when some exist).</summary>
    private bool PollDescriptors()
    {
        if (_poller is not { HasWatches: true } poller)
        {
            return false;
        }
        poller.Wait(timeoutMs: 0);
        return poller.Dispatch();
    }

    private bool RunPosted()
    {
        var count = _posted.Count;
        for (var i = 0; i < count && _posted.TryDequeue(out var item); i++)
        {
            item.Callback(item.State);
        }
        return count > 0;
    }

    /// <summary>
    /// Runs the bottom halves scheduled before this poll began (QEMU's aio_bh_poll). The list is
    /// walked under a LockCnt visit, so other threads may add bottom halves meanwhile; deleted
    /// ones are unlinked only when no walker remains (DecAndLock), never under a walker's feet.
    /// </summary>
    private bool PollBottomHalves()
    {
        var generation = Interlocked.Increment(ref _bottomHalfGeneration);
        var ran = false;
        var sawDeleted = false;
        _bottomHalvesLock.Inc();
        for (var bh = Volatile.Read(ref _bottomHalvesHead); bh is not null; bh = Volatile.Read(ref bh.Next))
        {
            ran |= bh.TryRun(generation);
            sawDeleted |= bh.IsDeleted;
        }
        if (_bottomHalvesLock.DecAndLock())
        {
            if (sawDeleted)
            {
                UnlinkDeletedBottomHalves();
            }
            _bottomHalvesLock.Unlock();
        }
        else if (sawDeleted)
        {
            // Another walker is still on the list; a later poll frees them.
            Notify();
        }
        return ran;
    }

    private void UnlinkDeletedBottomHalves()
    {
        BottomHalf? previous = null;
        for (var bh = _bottomHalvesHead; bh is not null; bh = bh.Next)
        {
            if (!bh.IsDeleted)
            {
                previous = bh;
                continue;
            }
            if (previous is null)
            {
                Volatile.Write(ref _bottomHalvesHead, bh.Next);
            }
            else
            {
                Volatile.Write(ref previous.Next, bh.Next);
            }
            if (_bottomHalvesTail == bh)
            {
                _bottomHalvesTail = previous;
            }
        }
    }

    private bool RunDueTimers()
    {
        var now = Clock.GetTimestamp();
        var lastSequence = _timerSequence;
        var ran = false;
        while (_timers.TryPeek(out var entry, out var key) && key.Deadline <= now && key.Sequence <= lastSequence)
        {
            _timers.Dequeue();
            if (entry.Timer.ArmedSequence != entry.Sequence)
            {
                continue;
            }
            entry.Timer.ArmedSequence = 0;
            entry.Timer.Deadline = null;
            entry.Timer.Fire();
            ran = true;
        }
        if (ran || _timers.Count > 0)
        {
            ArmWakeTimer();
        }
        return ran;
    }

    /// <summary>The clock timer fired: the deadline it was armed for no longer stands for a pending wake-up.</summary>
    private void WakeTimerFired()
    {
        Volatile.Write(ref _wakeTimerSpent, 1);
        Notify();
    }

    /// <summary>Keeps one clock timer armed for the earliest deadline; it only notifies the loop.</summary>
    /// <remarks>
    /// The clock's timer may fire before the deadline: a system timer counts whole milliseconds
    /// and truncates the delay (asked for 1.5 ms, it may fire after 1 ms). Case 1: it fired at or
    /// after the deadline: the iteration it wakes runs the due timer. Case 2: it fired early:
    /// nothing is due and that arming is spent, so it is armed again for the rest even though the
    /// deadline did not change; otherwise the loop would sleep past the deadline. A firing that
    /// races with the check below sets the flag after we read 0, but its Notify brings another
    /// iteration, which re-arms. (For the rest of a millisecond the loop may re-arm a few times.)
    /// </remarks>
    private void ArmWakeTimer()
    {
        while (_timers.TryPeek(out var entry, out _) && entry.Timer.ArmedSequence != entry.Sequence)
        {
            _timers.Dequeue();
        }
        if (!_timers.TryPeek(out _, out var key))
        {
            return;
        }
        if (key.Deadline == _armedWakeDeadline && Volatile.Read(ref _wakeTimerSpent) == 0)
        {
            return;
        }
        _armedWakeDeadline = key.Deadline;
        // Cleared before the timer is changed: a firing of this arming sets it again.
        Volatile.Write(ref _wakeTimerSpent, 0);
        var delay = Clock.GetElapsedTime(Clock.GetTimestamp(), key.Deadline);
        _wakeTimer.Change(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
    }

    private sealed class LoopSynchronizationContext(EventLoop loop) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => loop.Post(d, state);

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (loop.IsCurrent)
            {
                d(state);
                return;
            }
            throw new NotSupportedException($"Code cannot run synchronously on IoThread '{loop.Name}' from another thread; post it.");
        }

        public override SynchronizationContext CreateCopy() => this;
    }

}
