using System.Diagnostics;
using Actors.GraphLock;
using Actors.IoThreads;

namespace Benchmarks;

/// <summary>
/// Writer latency under a constant stream of readers (<c>dotnet run -c Release --project
/// tests/Benchmarks -- writer-latency</c>): IoThreads keep <see cref="QueueDepth"/> short read
/// requests each in flight (like a guest disk with that queue depth: a new request starts when
/// one completes), and one writer asks the Coordinator for <see cref="Writes"/> empty write
/// sections one after another. "Request → entered" is timed by the writer itself (from just
/// before the request to the writer receiving its grant); "Waited" is
/// <see cref="WriteGranted.Waited"/> (from the Coordinator receiving the request to the grant);
/// the Coordinator's own <see cref="GraphLockStatus.WriteWait"/> is printed as a cross-check (it
/// includes the warm-up writes). A console measurement, not a BenchmarkDotNet one: what matters
/// is the tail of a distribution.
/// </summary>
/// <remarks>
/// Scenarios: "busy" loops run a self-rescheduling bottom half that tops the requests up at
/// every loop iteration, so each such IoThread keeps a core 100% busy, as a polling IoThread
/// would; "paced" loops top them up from a loop timer every millisecond and sleep in between.
/// Two busy IoThreads on a two-core machine leave no core to the Coordinator and the writer:
/// they then run only when the kernel preempts a loop, which is what the first scenario shows
/// there. The other two leave a core free, and show what the protocol itself costs.
/// </remarks>
internal static class WriterLatency
{
    private const int Writes = 2000;
    private const int WarmupWrites = 200;
    private const int QueueDepth = 64;
    private const int Runs = 2;

    private static readonly Scenario[] Scenarios =
    [
        new("2 busy, short", IoThreads: 2, Spanning: false, Paced: false),
        new("2 busy, short+spanning", IoThreads: 2, Spanning: true, Paced: false),
        new("1 busy, short", IoThreads: 1, Spanning: false, Paced: false),
        new("2 paced (1 ms), short", IoThreads: 2, Spanning: false, Paced: true),
    ];

    public static int Run()
    {
        Console.WriteLine($"Writer latency: {Writes} writes one after another (after {WarmupWrites} warm-up); each IoThread keeps {QueueDepth} read requests in flight.");
        Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC: {System.Runtime.GCSettings.IsServerGC}. Times in µs; load = 1-minute load average when the run ended.");
        Console.WriteLine();
        Console.WriteLine("| IoThreads, readers | run | request→entered p50 | p99 | max | Waited p50 | p99 | max | WriteWait (Coordinator) p50 / p99 / max (n) | round trip p50 | p99 | reads/s | parked | violations | load |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var failed = false;
        foreach (var scenario in Scenarios)
        {
            for (var run = 1; run <= Runs; run++)
            {
                failed |= !Measure(scenario, run);
            }
        }
        Console.WriteLine();
        Console.WriteLine("busy: a self-rescheduling bottom half tops the requests up at every loop iteration (the loop never sleeps); paced: a loop timer does it every 1 ms.");
        Console.WriteLine("short: lock, read a little, unlock within one loop callback; short+spanning: besides, one request at a time holds its lock until the loop's next iteration (an I/O completion).");
        return failed ? 1 : 0;
    }

    private static bool Measure(Scenario scenario, int run)
    {
        var monitor = new GraphLockMonitor();
        using var rig = GraphLockRig.Start(scenario.IoThreads, new GraphLockOptions(Monitor: monitor));
        var streams = rig.IoThreads.Select(io => new ReaderStream(io, scenario.Spanning, scenario.Paced)).ToArray();
        foreach (var stream in streams)
        {
            stream.Start();
        }

        var entered = new double[Writes];
        var waited = new double[Writes];
        var roundTrip = new double[Writes];
        long readsBefore = 0;
        long startedAt = 0;
        for (var i = -WarmupWrites; i < Writes; i++)
        {
            if (i == 0)
            {
                readsBefore = streams.Sum(s => s.Completed);
                startedAt = Stopwatch.GetTimestamp();
            }
            var requestedAt = Stopwatch.GetTimestamp();
            var completed = rig.Write();
            var answeredAt = Stopwatch.GetTimestamp();
            if (i >= 0)
            {
                entered[i] = Stopwatch.GetElapsedTime(requestedAt, completed.EnteredAt).TotalMicroseconds;
                waited[i] = completed.Waited.TotalMicroseconds;
                roundTrip[i] = Stopwatch.GetElapsedTime(requestedAt, answeredAt).TotalMicroseconds;
            }
        }
        var seconds = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        var reads = streams.Sum(s => s.Completed) - readsBefore;
        var status = rig.Status();
        foreach (var stream in streams)
        {
            stream.Stop();
        }
        var parked = Enumerable.Range(0, scenario.IoThreads).Sum(i => rig.Status(i).ParkedTotal);
        var fault = streams.Select(s => s.Fault).FirstOrDefault(f => f is not null);

        var wait = status.WriteWait;
        Console.WriteLine(
            $"| {scenario.Name} | {run} " +
            $"| {P(entered, 0.50):F0} | {P(entered, 0.99):F0} | {entered.Max():F0} " +
            $"| {P(waited, 0.50):F0} | {P(waited, 0.99):F0} | {waited.Max():F0} " +
            $"| {wait.P50Micros:F0} / {wait.P99Micros:F0} / {wait.MaxMicros:F0} ({wait.Count}) " +
            $"| {P(roundTrip, 0.50):F0} | {P(roundTrip, 0.99):F0} " +
            $"| {reads / seconds:N0} | {parked:N0} | {monitor.Violations} | {LoadAverage()} |");
        if (fault is not null)
        {
            Console.WriteLine($"A reader failed: {fault}");
        }
        return fault is null && monitor.Violations == 0;
    }

    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The same percentile rule as the Coordinator's recorder: the smallest value with at least p of the samples at or below it.</summary>
    internal static double P(double[] samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
    }

    /// <summary>
    /// A continuous stream of read requests on one IoThread: a bottom half that tops the
    /// requests in flight up to <see cref="QueueDepth"/>, rescheduling itself (busy: it runs once
    /// per loop iteration, the loop's mailbox with BeginWrite and EndWrite served in between) or
    /// scheduled by a loop timer (paced). A request that meets a writer parks and finishes when
    /// EndWrite resumes it. The depth bound matters: with unbounded arrivals every loop iteration
    /// during a write parks another batch, and the pile resumed at EndWrite delays the next
    /// BeginWrite (a first version of this benchmark parked some 80 million requests in 2200 writes).
    /// </summary>
    private sealed class ReaderStream
    {
        private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(1);

        private readonly IoThread _ioThread;
        private readonly bool _spanning;
        private readonly bool _paced;
        private readonly BottomHalf _batch;
        private LoopTimer? _timer;
        private readonly int[] _graph = [1, 2, 3, 4, 5, 6, 7, 8];
        private long _completed;
        private int _inFlight;
        private bool _spanningInFlight;
        private long _sink;
        private volatile bool _stopping;

        public ReaderStream(IoThread ioThread, bool spanning, bool paced)
        {
            _ioThread = ioThread;
            _spanning = spanning;
            _paced = paced;
            _batch = ioThread.Loop.NewBottomHalf(RunBatch, "readers");
        }

        /// <summary>Requests completed so far (read from any thread).</summary>
        public long Completed => Interlocked.Read(ref _completed);

        public Exception? Fault { get; private set; }

        public void Start()
        {
            if (_paced)
            {
                // Timers belong to their loop's thread.
                _ioThread.Loop.Post(() =>
                {
                    _timer = _ioThread.Loop.NewTimer(_batch.Schedule);
                    _batch.Schedule();
                });
            }
            else
            {
                _batch.Schedule();
            }
        }

        public void Stop()
        {
            _stopping = true;
            _batch.Delete();
        }

        private void RunBatch()
        {
            if (_stopping)
            {
                return;
            }
            if (_spanning && !_spanningInFlight && _inFlight < QueueDepth)
            {
                _spanningInFlight = true;
                _inFlight++;
                Observe(SpanningRequest());
            }
            // Counted before starting: most requests complete (and leave) synchronously.
            for (var toStart = QueueDepth - _inFlight; toStart > 0; toStart--)
            {
                _inFlight++;
                Observe(ShortRequest());
            }
            if (_paced)
            {
                _timer!.Arm(Pace);
            }
            else
            {
                _batch.Schedule();
            }
        }

        /// <summary>Lock, read a little of the graph, unlock. Completes synchronously (no allocation) unless it parks.</summary>
        private async Task ShortRequest()
        {
            await _ioThread.ReadLockAsync();
            Work();
            _ioThread.ReadUnlock();
            RequestDone();
        }

        /// <summary>Holds the read lock until the loop's next iteration, like a request waiting for its I/O.</summary>
        private async Task SpanningRequest()
        {
            await _ioThread.ReadLockAsync();
            Work();
            await Task.Yield();
            _ioThread.ReadUnlock();
            _spanningInFlight = false;
            RequestDone();
        }

        /// <summary>A request finished (loop thread: continuations resume on the loop).</summary>
        private void RequestDone()
        {
            _inFlight--;
            Interlocked.Increment(ref _completed);
        }

        private void Work()
        {
            var sum = 0;
            foreach (var value in _graph)
            {
                sum += value;
            }
            _sink += sum;
        }

        private void Observe(Task request)
        {
            if (request.IsCompletedSuccessfully)
            {
                return;
            }
            request.ContinueWith(
                static (t, state) => ((ReaderStream)state!).Fault ??= t.Exception,
                this,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private sealed record Scenario(string Name, int IoThreads, bool Spanning, bool Paced);
}
