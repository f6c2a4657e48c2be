using Microsoft.Win32.SafeHandles;

namespace Actors.IoThreads;

/// <summary>
/// An IoThread's file-write worker (QEMU's per-AioContext thread pool, reduced to one thread for
/// buffered writes): writes made on the loop run there, back to back, and complete on the loop,
/// with no trip through the .NET thread pool. Get it from <see cref="EventLoop.IoWorker"/>.
/// </summary>
/// <remarks>
/// Why one thread, and writes only: buffered writes to a file take its inode lock in the kernel,
/// so they run one at a time whatever the number of threads, and each is a copy into the page
/// cache. Flushes and reads the page cache misses may wait milliseconds for the disk; behind
/// them, a single thread would hold up every write, so they keep the thread pool.
///
/// Batching, both ways. The requests an iteration makes are handed over together at its end
/// (<see cref="Submit"/>), waking the worker only when it waits; the worker takes everything
/// handed over, runs it, and hands the completions back together, waking the loop once per batch.
/// The loop completes them at its next iteration (<see cref="Reap"/>) and their awaiters resume
/// right there, inline. So a burst of requests costs two wake-ups, not two per request.
///
/// Capacity: <see cref="TryWrite"/> refuses (false) when <see cref="Capacity"/> writes are in flight;
/// the caller then takes its thread-pool path. Every request comes from a pool, so the hot path
/// allocates nothing. A request holds a reference on its file and pins its buffer until it
/// completes; the caller must not change the buffer meanwhile. The loop drains the worker when
/// it stops.
/// </remarks>
public sealed class IoWorker : IDisposable
{
    /// <summary>Requests in flight at most (as many as qemu-img's deepest queue, several times over).</summary>
    public const int Capacity = 512;

    private readonly object _gate = new();
    private readonly Stack<FileRequest> _free = new(Capacity);
    private readonly Thread _thread;
    // Loop thread only: the requests this iteration made, and the batch being completed.
    private List<FileRequest> _queued = [];
    private List<FileRequest> _completing = [];
    // Under _gate: handed to the worker, and handed back by it.
    private List<FileRequest> _incoming = [];
    private List<FileRequest> _done = [];
    private bool _workerWaiting;
    private bool _stopping;
    private volatile bool _hasDone;
    private bool _disposed;

    internal IoWorker(EventLoop loop)
    {
        Loop = loop;
        for (var i = 0; i < Capacity; i++)
        {
            _free.Push(new FileRequest(this));
        }
        _thread = new Thread(Work) { IsBackground = true, Name = "io-worker " + loop.Name };
        _thread.Start();
    }

    /// <summary>The loop whose requests this worker runs; they are made and completed on its thread.</summary>
    public EventLoop Loop { get; }

    /// <summary>Requests started and not yet handed back by their awaiters.</summary>
    public int InFlight => Capacity - _free.Count;

    /// <summary>
    /// Writes all of <paramref name="data"/> at <paramref name="offset"/> (pwrite, continued after
    /// a short write). The ValueTask throws an <see cref="IOException"/> beginning with
    /// <paramref name="subject"/> when the system call fails. False when the worker is full.
    /// </summary>
    public bool TryWrite(SafeFileHandle file, ReadOnlyMemory<byte> data, long offset, string subject, out ValueTask write)
    {
        Loop.AssertOnLoop();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_free.TryPop(out var request))
        {
            write = default;
            return false;
        }
        request.Start(file, data, offset, subject);
        _queued.Add(request);
        write = new ValueTask(request, request.Version);
        return true;
    }

    /// <summary>
    /// Hands the requests made since the last call to the worker, waking it if it waits. Loop
    /// thread, at the end of each iteration and after the loop's sleep: no request waits longer.
    /// </summary>
    internal void Submit()
    {
        if (_queued.Count == 0)
        {
            return;
        }
        lock (_gate)
        {
            (_incoming, _queued) = _incoming.Count == 0 ? (_queued, _incoming) : (Append(_incoming, _queued), _queued);
            if (_workerWaiting)
            {
                Monitor.Pulse(_gate);
            }
        }
        _queued.Clear();
    }

    /// <summary>Completes the requests the worker handed back; their awaiters run here, inline. Loop thread.</summary>
    /// <returns>True when something completed.</returns>
    /// <remarks>
    /// The flag is read without the lock. Case 1: the worker set it before our read: we take the
    /// batch now. Case 2: after: its <see cref="EventLoop.Notify"/> follows the write, so the loop
    /// iterates again (or does not sleep) and takes the batch then.
    /// </remarks>
    internal bool Reap()
    {
        if (!_hasDone)
        {
            return false;
        }
        lock (_gate)
        {
            (_completing, _done) = (_done, _completing);
            _hasDone = false;
        }
        foreach (var request in _completing)
        {
            request.Complete();
        }
        _completing.Clear();
        return true;
    }

    /// <summary>An awaiter took its result: the request may serve again.</summary>
    internal void Return(FileRequest request)
    {
        if (Loop.IsCurrent || _disposed)
        {
            _free.Push(request);
        }
        else
        {
            // Awaited from another context (AsTask, say): the pool is the loop's alone.
            Loop.Post(static state => ((FileRequest)state!).Worker.Return((FileRequest)state!), request);
        }
    }

    /// <summary>
    /// Lets the worker finish every request handed to it, stops its thread, then completes those
    /// requests (their awaiters run on the calling thread). Called by the loop as it stops.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        Submit();
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }
        _thread.Join();
        _disposed = true;
        Reap();
    }

    /// <summary>The worker's thread: takes all that was handed over, runs it, hands it back, and again.</summary>
    private void Work()
    {
        var batch = new List<FileRequest>();
        while (true)
        {
            lock (_gate)
            {
                while (_incoming.Count == 0 && !_stopping)
                {
                    _workerWaiting = true;
                    Monitor.Wait(_gate);
                    _workerWaiting = false;
                }
                if (_incoming.Count == 0)
                {
                    return;
                }
                (batch, _incoming) = (_incoming, batch);
            }
            foreach (var request in batch)
            {
                request.Run();
            }
            lock (_gate)
            {
                (_done, batch) = _done.Count == 0 ? (batch, _done) : (Append(_done, batch), batch);
                _hasDone = true;
            }
            batch.Clear();
            Loop.Notify();
        }
    }

    private static List<FileRequest> Append(List<FileRequest> to, List<FileRequest> from)
    {
        to.AddRange(from);
        return to;
    }
}
