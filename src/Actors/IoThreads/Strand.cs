using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Actors.IoThreads;

/// <summary>
/// Runs one owner's callbacks one at a time, in order, on whichever event loop the owner belongs
/// to now (its <c>home</c>, asked anew each time): the serial context of a front-end connection
/// whose node may move between IoThreads. Code that awaits inside the strand resumes in it, so
/// the owner's state needs no lock, and a move needs no hand-over: the next callback simply runs
/// on the new loop, never at the same time as one still running on the old.
/// </summary>
/// <remarks>
/// Scheduling is a mailbox's: a post enqueues, and the poster that flips
/// <c>_scheduled</c> from 0 to 1 posts one drain to the home loop. The drain clears the flag only
/// when the queue looks empty and re-checks after clearing, so a post racing with the end of a
/// drain either is seen by the re-check or schedules a drain of its own.
/// </remarks>
public sealed class Strand : SynchronizationContext
{
    private static readonly SendOrPostCallback s_drain = static state => ((Strand)state!).Drain();

    private readonly ConcurrentQueue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Func<EventLoop> _home;
    private int _scheduled;

    /// <param name="home">The loop the owner belongs to now; asked on every scheduling, on any thread.</param>
    public Strand(Func<EventLoop> home) => _home = home;

    /// <summary>Whether the calling code runs inside this strand.</summary>
    public bool IsCurrent => Current == this;

    /// <summary>Queues <paramref name="d"/> to run in the strand (any thread).</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        _queue.Enqueue((d, state));
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _home().Post(s_drain, this);
        }
    }

    /// <summary>Refused: a strand never blocks a caller on another loop.</summary>
    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("A strand runs its callbacks asynchronously on its home loop; Send would block that loop's callers.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Awaiting it continues inside the strand: how an owner enters it from elsewhere.</summary>
    public Entry Enter() => new(this);

    private void Drain()
    {
        var loop = EventLoop.Current;
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            while (true)
            {
                while (_queue.TryDequeue(out var item))
                {
                    item.Callback(item.State);
                    if (_home() != loop)
                    {
                        // The owner moved: the rest runs on its new loop, after this drain ends.
                        _home().Post(s_drain, this);
                        return;
                    }
                }
                Volatile.Write(ref _scheduled, 0);
                if (_queue.IsEmpty || Interlocked.Exchange(ref _scheduled, 1) == 1)
                {
                    return;
                }
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>The awaiter of <see cref="Enter"/>; it always posts, so the continuation runs in a drain.</summary>
    public readonly struct Entry(Strand strand) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => false;

        public Entry GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => strand.Post(static c => ((Action)c!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }
}
