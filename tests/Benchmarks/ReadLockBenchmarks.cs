using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Actors.GraphLock;
using Actors.IoThreads;
using BenchmarkDotNet.Attributes;

namespace Benchmarks;

/// <summary>
/// Cost of one graph read lock + unlock pair, as a request pays it on its IoThread: our
/// <see cref="IoThread.ReadLockAsync"/>/<see cref="IoThread.ReadUnlock()"/> against
/// <see cref="ReaderWriterLockSlim"/> and against QEMU's algorithm written in C#
/// (<see cref="QemuGraphLock"/>). Every variant runs on the same event-loop thread, in chunks
/// of <see cref="Chunk"/> pairs per posted callback (the loop serves its mailbox between chunks,
/// as it would between requests), <see cref="Pairs"/> pairs per invocation so the post and the
/// final signal cost under a nanosecond per pair.
/// </summary>
/// <remarks>
/// With <see cref="SecondThreadWrites"/> a background thread takes the write side about every
/// millisecond: ReaderWriterLockSlim.EnterWriteLock, QEMU's wrlock/wrunlock, or, for ours, a
/// <see cref="RequestWrite"/> with an empty body asked of the Coordinator. Readers that meet
/// the writer wait as each design makes them: ours park and the chunk yields the loop until
/// EndWrite resumes them, QEMU's wait on the list lock, ReaderWriterLockSlim's block.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class ReadLockBenchmarks
{
    /// <summary>Lock/unlock pairs per benchmark invocation.</summary>
    public const int Pairs = 1_000_000;

    /// <summary>Pairs run by one posted callback before the loop gets to serve its mailbox.</summary>
    public const int Chunk = 1_000;

    private GraphLockRig _rig = null!;
    private LoopReaders _readers = null!;
    private BackgroundWriter? _writer;
    private ReaderWriterLockSlim? _rwls;
    private long _startedAt;

    /// <summary>False: the reader is alone. True: a second thread takes the write lock about every 1 ms.</summary>
    [Params(false, true)]
    public bool SecondThreadWrites { get; set; }

    [GlobalSetup(Target = nameof(IoThreadReadLock))]
    public void SetupIoThread()
    {
        _rig = GraphLockRig.Start(1, new GraphLockOptions());
        _readers = new IoThreadReaders(_rig.IoThreads[0]);
        StartWriter("graph-lock", () => _rig.Write());
    }

    [GlobalSetup(Target = nameof(QemuInterlocked))]
    public void SetupQemu()
    {
        _rig = GraphLockRig.Start(1, new GraphLockOptions());
        var qemu = new QemuGraphLock();
        _readers = new QemuReaders(_rig.IoThreads[0].Loop, qemu, qemu.RegisterContext());
        StartWriter("qemu", () =>
        {
            qemu.WriteLock();
            qemu.WriteUnlock();
        });
    }

    [GlobalSetup(Target = nameof(RwLockSlim))]
    public void SetupReaderWriterLockSlim()
    {
        _rig = GraphLockRig.Start(1, new GraphLockOptions());
        var rwls = _rwls = new ReaderWriterLockSlim(LockRecursionPolicy.NoRecursion);
        _readers = new ReaderWriterLockSlimReaders(_rig.IoThreads[0].Loop, rwls);
        StartWriter("rwls", () =>
        {
            rwls.EnterWriteLock();
            rwls.ExitWriteLock();
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _writer?.Dispose();
        if (_writer is not null)
        {
            var seconds = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
            var waited = _readers.Waited is { } count ? count.ToString() : "not counted";
            Console.WriteLine($"// Writer ({_writer.Name}): {_writer.Writes} writes in {seconds:F1} s ({_writer.Writes / seconds:F0}/s); readers that waited for a writer: {waited}.");
        }
        _rig.Dispose();
        _rwls?.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Pairs, Description = "IoThread.ReadLockAsync+ReadUnlock")]
    public void IoThreadReadLock() => _readers.Run(Pairs);

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs, Description = "QEMU rdlock (Interlocked)")]
    public void QemuInterlocked() => _readers.Run(Pairs);

    [Benchmark(OperationsPerInvoke = Pairs, Description = "ReaderWriterLockSlim")]
    public void RwLockSlim() => _readers.Run(Pairs);

    private void StartWriter(string name, Action write)
    {
        _startedAt = Stopwatch.GetTimestamp();
        if (SecondThreadWrites)
        {
            _writer = new BackgroundWriter(name, write);
        }
    }

    /// <summary>
    /// Runs lock/unlock pairs on an event loop, <see cref="Chunk"/> per posted callback, and
    /// lets the benchmark thread wait for the whole batch. Subclasses write the inner loop
    /// themselves so that no virtual call sits between a lock and its unlock.
    /// </summary>
    private abstract class LoopReaders(EventLoop loop)
    {
        private static readonly SendOrPostCallback StepCallback = static state => ((LoopReaders)state!).Step();

        // spinCount 1: on two cores a spinning benchmark thread would steal the loop's core.
        private readonly ManualResetEventSlim _done = new(false, spinCount: 1);
        private int _remaining;

        /// <summary>Pairs whose lock had to wait for a writer (parked or slow path); null where the lock does not tell.</summary>
        public long? Waited { get; protected set; }

        /// <summary>Runs <paramref name="pairs"/> pairs on the loop; returns when all ran (benchmark thread).</summary>
        public void Run(int pairs)
        {
            _done.Reset();
            _remaining = pairs;
            loop.Post(StepCallback, this);
            _done.Wait();
        }

        /// <summary>
        /// Runs up to <paramref name="count"/> pairs (loop thread). Returns how many ran; fewer
        /// means the next lock parked, and the subclass calls <see cref="Resumed"/> once that
        /// pair is done.
        /// </summary>
        protected abstract int RunPairs(int count);

        /// <summary>The pair that parked has unlocked (loop thread).</summary>
        protected void Resumed()
        {
            _remaining--;
            Continue();
        }

        private void Step()
        {
            var count = Math.Min(_remaining, Chunk);
            var ran = RunPairs(count);
            _remaining -= ran;
            if (ran == count)
            {
                Continue();
            }
        }

        private void Continue()
        {
            if (_remaining == 0)
            {
                _done.Set();
            }
            else
            {
                loop.Post(StepCallback, this);
            }
        }
    }

    /// <summary>Ours: the fast path is checked with IsCompletedSuccessfully, as a request would before awaiting.</summary>
    private sealed class IoThreadReaders : LoopReaders
    {
        private readonly IoThread _ioThread;
        private readonly Action _onResumed;
        private ValueTaskAwaiter _parked;

        public IoThreadReaders(IoThread ioThread)
            : base(ioThread.Loop)
        {
            Waited = 0;
            _ioThread = ioThread;
            _onResumed = OnResumed;
        }

        protected override int RunPairs(int count)
        {
            var ioThread = _ioThread;
            for (var i = 0; i < count; i++)
            {
                var locked = ioThread.ReadLockAsync();
                if (!locked.IsCompletedSuccessfully)
                {
                    // A writer is active: this request parks. The continuation is posted to the
                    // loop (its SynchronizationContext) when EndWrite resumes it.
                    Waited++;
                    _parked = locked.GetAwaiter();
                    _parked.UnsafeOnCompleted(_onResumed);
                    return i;
                }
                ioThread.ReadUnlock();
            }
            return count;
        }

        private void OnResumed()
        {
            _parked.GetResult();
            _parked = default;
            _ioThread.ReadUnlock();
            Resumed();
        }
    }

    private sealed class QemuReaders : LoopReaders
    {
        private readonly QemuGraphLock _graphLock;
        private readonly QemuGraphLock.Context _context;

        public QemuReaders(EventLoop loop, QemuGraphLock graphLock, QemuGraphLock.Context context)
            : base(loop)
        {
            Waited = 0;
            _graphLock = graphLock;
            _context = context;
        }

        protected override int RunPairs(int count)
        {
            var graphLock = _graphLock;
            var context = _context;
            for (var i = 0; i < count; i++)
            {
                if (!graphLock.ReadLock(context))
                {
                    Waited++;
                }
                graphLock.ReadUnlock(context);
            }
            return count;
        }
    }

    private sealed class ReaderWriterLockSlimReaders(EventLoop loop, ReaderWriterLockSlim rwls) : LoopReaders(loop)
    {
        protected override int RunPairs(int count)
        {
            for (var i = 0; i < count; i++)
            {
                rwls.EnterReadLock();
                rwls.ExitReadLock();
            }
            return count;
        }
    }
}

/// <summary>
/// QEMU's block-graph lock (block/graph-lock.c) in C#, as the baseline our actor version must
/// not be slower than: a reader counter per AioContext, written by its own thread with a full
/// fence (here <see cref="Interlocked"/>), and one global <c>has_writer</c> flag. Readers that
/// meet a writer wait under <c>aio_context_list_lock</c> (a monitor here) for wrunlock; the
/// writer sets the flag and waits until the sum of the counters is zero, woken by
/// <c>aio_wait_kick</c> from unlocking readers. The drain QEMU does around wrlock is left out:
/// there is no I/O here to drain.
/// </summary>
internal sealed class QemuGraphLock
{
    private readonly object _listLock = new();
    private readonly List<Context> _contexts = [];
    private readonly ManualResetEventSlim _kick = new(false);
    private int _hasWriter;

    /// <summary>One AioContext's share: its reader count, on a cache line of its own.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    public sealed class Context
    {
        [FieldOffset(64)]
        public int Readers;
    }

    public Context RegisterContext()
    {
        var context = new Context();
        lock (_listLock)
        {
            _contexts.Add(context);
        }
        return context;
    }

    /// <summary>bdrv_graph_co_rdlock. Returns false when the reader had to wait for a writer.</summary>
    public bool ReadLock(Context context)
    {
        // The increment is a full fence, so the writer sees our count before we read has_writer.
        // has_writer == 0: the writer, if any comes, will read our count as >= 1 and wait.
        // has_writer == 1: we cannot know whether the writer already read the count: back out.
        Interlocked.Increment(ref context.Readers);
        if (Volatile.Read(ref _hasWriter) == 0)
        {
            return true;
        }
        ReadLockSlow(context);
        return false;
    }

    /// <summary>bdrv_graph_co_rdunlock.</summary>
    public void ReadUnlock(Context context)
    {
        // Full fence before reading has_writer: a writer that set it reads our decrement, or we
        // see its flag and kick it (Case 1 / Case 2 of QEMU's rdunlock).
        Interlocked.Decrement(ref context.Readers);
        if (Volatile.Read(ref _hasWriter) != 0)
        {
            _kick.Set();
        }
    }

    /// <summary>bdrv_graph_wrlock without the drain (writer thread only).</summary>
    public void WriteLock()
    {
        Interlocked.Exchange(ref _hasWriter, 1);
        // AIO_WAIT_WHILE(reader_count() >= 1): reset the kick before each count, so a kick sent
        // after the count we read is never lost.
        while (true)
        {
            _kick.Reset();
            if (ReaderCount() == 0)
            {
                return;
            }
            _kick.Wait();
        }
    }

    /// <summary>bdrv_graph_wrunlock: clear the flag and wake the parked readers, under the list lock.</summary>
    public void WriteUnlock()
    {
        lock (_listLock)
        {
            Volatile.Write(ref _hasWriter, 0);
            Monitor.PulseAll(_listLock);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadLockSlow(Context context)
    {
        lock (_listLock)
        {
            // Case 1: this section runs before wrunlock's: we back out, kick the writer (it may
            // be waiting for exactly this reader) and sleep until wrunlock pulses. Case 2: it
            // runs after: has_writer is 0 here and we keep the count we took.
            while (Volatile.Read(ref _hasWriter) != 0)
            {
                Interlocked.Decrement(ref context.Readers);
                _kick.Set();
                Monitor.Wait(_listLock);
                Interlocked.Increment(ref context.Readers);
            }
        }
    }

    private int ReaderCount()
    {
        lock (_listLock)
        {
            var readers = 0;
            foreach (var context in _contexts)
            {
                readers += Volatile.Read(ref context.Readers);
            }
            return readers;
        }
    }
}
