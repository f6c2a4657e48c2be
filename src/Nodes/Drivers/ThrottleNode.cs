namespace Nodes.Drivers;

/// <summary>
/// The <c>throttle</c> filter: limits IOPS and bytes per second, for reads, writes or both, with
/// bursts, as QEMU's throttle groups do (one group per node here). Options, all optional:
/// <c>iops-total</c>, <c>iops-read</c>, <c>iops-write</c>, <c>bps-total</c>, <c>bps-read</c>,
/// <c>bps-write</c>, each with <c>-max</c> (burst rate) and <c>-max-length</c> (burst seconds, default 1).
/// Requests that must wait queue in order, per direction, and are released by a timer of the
/// node's IoThread; they never block the thread.
/// </summary>
public sealed class ThrottleNode : FilterNode
{
    private readonly LeakyBucket[] _readBuckets;
    private readonly LeakyBucket[] _writeBuckets;
    private readonly LeakyBucket[] _all;
    private readonly Queue<Waiter> _readQueue = new();
    private readonly Queue<Waiter> _writeQueue = new();
    private readonly TimeProvider _clock;
    private Actors.IoThreads.LoopTimer? _timer;
    private long _lastLeak;

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
        await Admit(_readQueue, _readBuckets, buffer.Length);
        await File.ReadAsync(offset, buffer);
    }

    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        await Admit(_writeQueue, _writeBuckets, data.Length);
        await File.WriteAsync(offset, data, fua);
    }

    protected override void DetachingFromLoop(Actors.IoThreads.EventLoop loop)
    {
        _timer?.Cancel();
        _timer = null;
    }

    protected override void AttachedToLoop(Actors.IoThreads.EventLoop loop)
    {
        if (Queued > 0)
        {
            ReleaseWaiters();
        }
    }

    public override ValueTask CloseAsync()
    {
        _timer?.Cancel();
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

    /// <summary>Starts the request now if its direction has no queue and every bucket allows it; otherwise queues it.</summary>
    private ValueTask Admit(Queue<Waiter> queue, LeakyBucket[] buckets, int bytes)
    {
        Leak();
        if (queue.Count == 0 && Wait(buckets) <= 0)
        {
            Account(buckets, bytes);
            return ValueTask.CompletedTask;
        }
        var waiter = new Waiter(buckets, bytes);
        queue.Enqueue(waiter);
        ArmTimer();
        return new ValueTask(waiter.Completion.Task);
    }

    private void ReleaseWaiters()
    {
        Leak();
        Release(_readQueue);
        Release(_writeQueue);
        if (Queued > 0)
        {
            ArmTimer();
        }
    }

    private void Release(Queue<Waiter> queue)
    {
        while (queue.TryPeek(out var head) && Wait(head.Buckets) <= 0)
        {
            queue.Dequeue();
            Account(head.Buckets, head.Bytes);
            head.Completion.TrySetResult();
        }
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

    private sealed record Waiter(LeakyBucket[] Buckets, int Bytes)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
