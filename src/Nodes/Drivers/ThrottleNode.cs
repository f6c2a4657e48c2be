using Actors.IoThreads;

namespace Nodes.Drivers;

/// <summary>
/// The <c>throttle</c> filter: limits IOPS and bytes per second, for reads, writes or both, with
/// bursts, as QEMU's throttle groups do (one group per node here). Options, all optional:
/// <c>iops-total</c>, <c>iops-read</c>, <c>iops-write</c>, <c>bps-total</c>, <c>bps-read</c>,
/// <c>bps-write</c>, each with <c>-max</c> (burst rate) and <c>-max-length</c> (burst seconds, default 1).
/// Requests that must wait queue in order, per direction, and are released by a timer of the
/// node's IoThread; they never block the thread.
/// </summary>
/// <remarks>
/// A queued request has not started yet, so a graph change need not wait for its turn: when the
/// filter is where requests enter the graph (no parent: the node an export or a request names),
/// a request that must queue gives its read lock back and, released, takes it again on the
/// IoThread the node runs on then, at once or parked behind a writer, as a reader that has not
/// yet entered. Case 1, no graph change meanwhile: it goes on as if it had kept the lock.
/// Case 2, a change came between: the node may have moved (it takes the lock on its new
/// IoThread; its old one's count goes negative by one, the sum stays right), or the filter was
/// removed (its close releases what is queued to the child its parents now use, regardless of
/// the limits: the filter is gone). Below a parent the request keeps its lock while queued, as in
/// QEMU: the parent's code waits on it, and nothing above may change meanwhile.
/// </remarks>
public sealed class ThrottleNode : FilterNode
{
    private readonly LeakyBucket[] _readBuckets;
    private readonly LeakyBucket[] _writeBuckets;
    private readonly LeakyBucket[] _all;
    private readonly Queue<Waiter> _readQueue = new();
    private readonly Queue<Waiter> _writeQueue = new();
    private readonly TimeProvider _clock;
    private LoopTimer? _timer;
    private long _lastLeak;

    // What a request that gives its read lock back to queue is called while a writer waits.
    private const string QueuedRead = "read, queued";
    private const string QueuedWrite = "write, queued";

    public ThrottleNode(NodeSettings settings)
        : base(settings)
    {
        _clock = settings.Clock;
        var iopsTotal = Bucket("iops-total");
        var iopsRead = Bucket("iops-read");
        var iopsWrite = Bucket("iops-write");
        var bpsTotal = Bucket("bps-total");
        var bpsRead = Bucket("bps-read");
        var bpsWrite = Bucket("bps-write");
        _readBuckets = [iopsTotal, iopsRead, bpsTotal, bpsRead];
        _writeBuckets = [iopsTotal, iopsWrite, bpsTotal, bpsWrite];
        _all = [iopsTotal, iopsRead, iopsWrite, bpsTotal, bpsRead, bpsWrite];
        _lastLeak = _clock.GetTimestamp();
    }

    /// <summary>Requests waiting for their turn, reads and writes.</summary>
    public int Queued => _readQueue.Count + _writeQueue.Count;

    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        await Admit(_readQueue, _readBuckets, buffer.Length, QueuedRead);
        await (ChildElsewhere() is { } loop ? new ValueTask(loop.RunAsync(() => ReadOnAsync(offset, buffer))) : File.ReadAsync(offset, buffer));
    }

    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        await Admit(_writeQueue, _writeBuckets, data.Length, QueuedWrite);
        await (ChildElsewhere() is { } loop ? new ValueTask(loop.RunAsync(() => WriteOnAsync(offset, data, fua))) : File.WriteAsync(offset, data, fua));
    }

    protected override void DetachingFromLoop(EventLoop loop)
    {
        _timer?.Cancel();
        _timer = null;
    }

    protected override void AttachedToLoop(EventLoop loop)
    {
        if (Queued > 0)
        {
            ReleaseWaiters();
        }
    }

    /// <summary>Closes the filter; requests still queued go on at once, to its child (see the remarks).</summary>
    public override ValueTask CloseAsync()
    {
        _timer?.Cancel();
        Release(_readQueue, ignoringLimits: true);
        Release(_writeQueue, ignoringLimits: true);
        return ValueTask.CompletedTask;
    }

    private LeakyBucket Bucket(string name)
    {
        var average = Settings.GetSize(name, 0);
        var max = Settings.GetSize(name + "-max", 0);
        var length = Settings.GetSize(name + "-max-length", 1);
        if (max > 0 && max < average)
        {
            throw new ArgumentException($"Node '{Name}': {name}-max ({max}) must not be lower than {name} ({average})");
        }
        return new LeakyBucket(average, max, length);
    }

    /// <summary>
    /// Starts the request now if its direction has no queue and every bucket allows it; otherwise
    /// queues it, outside the graph when it entered the graph here (see the remarks).
    /// </summary>
    private ValueTask Admit(Queue<Waiter> queue, LeakyBucket[] buckets, int bytes, string queuedKind)
    {
        Leak();
        if (queue.Count == 0 && Wait(buckets) <= 0)
        {
            Account(buckets, bytes);
            return ValueTask.CompletedTask;
        }
        // On an IoThread a request holds that IoThread's read lock; off one (a test's bare loop) there is none.
        var holder = ParentCount == 0 ? IoThread.Current : null;
        var waiter = new Waiter(buckets, bytes, LeftGraph: holder is not null);
        queue.Enqueue(waiter);
        ArmTimer();
        holder?.ReadUnlock(Name, queuedKind);
        return new ValueTask(waiter.Completion.Task);
    }

    private void ReleaseWaiters()
    {
        Leak();
        Release(_readQueue, ignoringLimits: false);
        Release(_writeQueue, ignoringLimits: false);
        if (Queued > 0)
        {
            ArmTimer();
        }
    }

    private void Release(Queue<Waiter> queue, bool ignoringLimits)
    {
        while (queue.TryPeek(out var head) && (ignoringLimits || Wait(head.Buckets) <= 0))
        {
            queue.Dequeue();
            Account(head.Buckets, head.Bytes);
            Resume(head);
        }
    }

    /// <summary>
    /// The child's loop when a released request resumed elsewhere, or null. A request that gave
    /// its lock back resumes on the loop it queued on; the filter and its child may have moved
    /// meanwhile (and the filter may be closed, off any loop): the child's loop is where it goes on.
    /// </summary>
    private EventLoop? ChildElsewhere() => File.Loop is { IsCurrent: false } loop ? loop : null;

    private async Task<bool> ReadOnAsync(long offset, Memory<byte> buffer)
    {
        await File.ReadAsync(offset, buffer);
        return true;
    }

    private async Task<bool> WriteOnAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        await File.WriteAsync(offset, data, fua);
        return true;
    }

    /// <summary>
    /// Lets a released request go on, on this (the node's) loop. One that left the graph while
    /// queued takes the read lock of this loop's IoThread first: at once, or once a write active
    /// now ends.
    /// </summary>
    private void Resume(Waiter waiter)
    {
        if (!waiter.LeftGraph)
        {
            waiter.Completion.SetResult();
            return;
        }
        var io = IoThread.Current ?? throw new InvalidOperationException($"Throttle node '{Name}' released a request off an IoThread; it cannot take the read lock again.");
        var entered = io.ReadLockAsync();
        if (entered.IsCompletedSuccessfully)
        {
            waiter.Completion.SetResult();
            return;
        }
        _ = ResumeWhenEnteredAsync(entered, waiter);
    }

    private static async Task ResumeWhenEnteredAsync(ValueTask entered, Waiter waiter)
    {
        try
        {
            await entered;
        }
        catch (Exception e)
        {
            // The IoThread stopped while the request was parked: the request fails with that.
            waiter.Completion.SetException(e);
            return;
        }
        waiter.Completion.SetResult();
    }

    private void ArmTimer()
    {
        var loop = Loop ?? throw new InvalidOperationException($"Throttle node '{Name}' is not on an IoThread.");
        var wait = Math.Max(
            _readQueue.TryPeek(out var read) ? Wait(read.Buckets) : 0,
            _writeQueue.TryPeek(out var write) ? Wait(write.Buckets) : 0);
        _timer ??= loop.NewTimer(ReleaseWaiters);
        _timer.Arm(TimeSpan.FromSeconds(Math.Max(wait, 1e-6)));
    }

    private void Leak()
    {
        var now = _clock.GetTimestamp();
        var seconds = _clock.GetElapsedTime(_lastLeak, now).TotalSeconds;
        _lastLeak = now;
        foreach (var bucket in _all)
        {
            bucket.Leak(seconds);
        }
    }

    private static double Wait(LeakyBucket[] buckets)
    {
        var wait = 0.0;
        foreach (var bucket in buckets)
        {
            wait = Math.Max(wait, bucket.WaitSeconds());
        }
        return wait;
    }

    private static void Account(LeakyBucket[] buckets, int bytes)
    {
        // Buckets 0 and 1 of each direction count requests, 2 and 3 count bytes.
        buckets[0].Account(1);
        buckets[1].Account(1);
        buckets[2].Account(bytes);
        buckets[3].Account(bytes);
    }

    /// <summary>A queued request; <paramref name="LeftGraph"/> when it gave its read lock back to wait.</summary>
    private sealed record Waiter(LeakyBucket[] Buckets, int Bytes, bool LeftGraph)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
