namespace Actors.IoThreads;

/// <summary>
/// A timer of an <see cref="EventLoop"/> (QEMU's <c>QEMUTimer</c>): its callback runs on the
/// loop's thread once the loop's clock reaches the deadline. Timers due together run in deadline
/// order, ties in the order they were armed. Use it only on the loop's own thread.
/// </summary>
public sealed class LoopTimer
{
    private readonly EventLoop _loop;
    private readonly Action _callback;

    internal LoopTimer(EventLoop loop, Action callback)
    {
        _loop = loop;
        _callback = callback;
    }

    /// <summary>Identifies the current arming; a queued entry with another value is stale.</summary>
    internal long ArmedSequence { get; set; }

    /// <summary>The deadline in clock timestamp ticks, when armed.</summary>
    public long? Deadline { get; internal set; }

    public bool IsPending => Deadline is not null;

    /// <summary>Fires after <paramref name="delay"/> (re-arming replaces an earlier deadline).</summary>
    public void Arm(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        _loop.ArmTimer(this, delay);
    }

    public void Cancel() => _loop.CancelTimer(this);

    internal void Fire() => _callback();
}
