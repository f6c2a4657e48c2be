using Actors.Concurrency;
using BenchmarkDotNet.Attributes;

namespace Benchmarks;

/// <summary>
/// Uncontended fast paths of <see cref="LockCnt"/> on one thread, against <c>lock (obj)</c>
/// enter/exit (the baseline). Each pair is two interlocked operations, as an uncontended
/// monitor enter and exit are, so all should land in the same range; none should allocate.
/// </summary>
[MemoryDiagnoser]
public class LockCntBenchmarks
{
    private readonly LockCnt _lockCnt = new();
    private readonly object _monitor = new();
    private int _guarded;

    [Benchmark(Baseline = true, Description = "lock (obj) enter+exit")]
    public int MonitorEnterExit()
    {
        lock (_monitor)
        {
            return ++_guarded;
        }
    }

    [Benchmark(Description = "Inc+Dec (a visit)")]
    public void IncDec()
    {
        _lockCnt.Inc();
        _lockCnt.Dec();
    }

    [Benchmark(Description = "Lock+Unlock")]
    public int LockUnlock()
    {
        _lockCnt.Lock();
        var value = ++_guarded;
        _lockCnt.Unlock();
        return value;
    }

    /// <summary>The last visitor's path: the count reaches zero, so DecAndLock takes the lock.</summary>
    [Benchmark(Description = "Inc+DecAndLock+Unlock (last visit frees)")]
    public void IncDecAndLockUnlock()
    {
        _lockCnt.Inc();
        if (_lockCnt.DecAndLock())
        {
            _lockCnt.Unlock();
        }
    }
}
