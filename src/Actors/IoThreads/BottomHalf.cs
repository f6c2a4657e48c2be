namespace Actors.IoThreads;

/// <summary>
/// A callback an <see cref="EventLoop"/> runs on its thread at its next iteration (QEMU's
/// <c>QEMUBH</c>). Scheduling is allowed from any thread; scheduling a pending bottom half again
/// has no further effect. One scheduled while bottom halves run (itself included) runs in the
/// next iteration, before the loop sleeps, so a bottom half that keeps rescheduling itself runs
/// once per iteration and cannot starve the loop's mailboxes.
/// </summary>
public sealed class BottomHalf
{
    internal const int Scheduled = 1;
    internal const int Deleted = 2;
    internal const int OneShot = 4;

    private readonly Action _callback;
    private int _flags;
    private long _scheduledIn;

    internal BottomHalf(EventLoop loop, Action callback, string name, bool oneShot)
    {
        Loop = loop;
        _callback = callback;
        Name = name;
        _flags = oneShot ? OneShot : 0;
    }

    public EventLoop Loop { get; }

    public string Name { get; }

    /// <summary>The next bottom half of the loop's list; written once under the list lock, read by walkers.</summary>
    internal BottomHalf? Next;

    /// <summary>A run is pending: scheduled, and neither cancelled nor deleted since (Delete leaves the Scheduled bit set).</summary>
    public bool IsScheduled => (Volatile.Read(ref _flags) & (Scheduled | Deleted)) == Scheduled;

    public bool IsDeleted => (Volatile.Read(ref _flags) & Deleted) != 0;

    /// <summary>Runs the callback at the loop's next iteration unless it is already pending.</summary>
    public void Schedule()
    {
        var flags = Volatile.Read(ref _flags);
        if ((flags & (Scheduled | Deleted)) != 0)
        {
            return;
        }
        // The stamp is written before the flag is published: a poll that sees the flag sees the
        // poll generation it was scheduled in, and skips it when that is its own (Case: scheduled
        // from a running bottom half or during the walk) so it runs in the next iteration.
        Volatile.Write(ref _scheduledIn, Loop.BottomHalfGeneration);
        while ((flags & (Scheduled | Deleted)) == 0)
        {
            var seen = Interlocked.CompareExchange(ref _flags, flags | Scheduled, flags);
            if (seen == flags)
            {
                Loop.Notify();
                return;
            }
            flags = seen;
        }
    }

    /// <summary>Withdraws a pending run; the bottom half may be scheduled again later.</summary>
    public void Cancel() => Interlocked.And(ref _flags, ~Scheduled);

    /// <summary>Cancels and frees the bottom half; safe from its own callback and from any thread.</summary>
    public void Delete() => Interlocked.Or(ref _flags, Deleted);

    /// <summary>Called by the loop's poll: runs the callback if it was scheduled before this poll began.</summary>
    internal bool TryRun(long pollGeneration)
    {
        var flags = Volatile.Read(ref _flags);
        if ((flags & (Scheduled | Deleted)) != Scheduled || Volatile.Read(ref _scheduledIn) >= pollGeneration)
        {
            return false;
        }
        if (Interlocked.CompareExchange(ref _flags, flags & ~Scheduled, flags) != flags)
        {
            // Cancelled or deleted meanwhile: it must not run.
            return false;
        }
        if ((flags & OneShot) != 0)
        {
            Delete();
        }
        _callback();
        return true;
    }
}
