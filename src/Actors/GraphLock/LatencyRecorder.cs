namespace Actors.GraphLock;

/// <summary>Keeps the most recent latencies (a ring) and answers percentiles over them. Single-threaded (the Coordinator's).</summary>
internal sealed class LatencyRecorder(int capacity = LatencyRecorder.DefaultCapacity)
{
    public const int DefaultCapacity = 8192;

    private readonly double[] _ring = new double[capacity];
    private long _count;
    private double _max;

    /// <summary>Latencies recorded so far; the index the next one gets.</summary>
    public long Count => _count;

    public void Record(TimeSpan latency)
    {
        var micros = latency.Ticks / (double)TimeSpan.TicksPerMicrosecond;
        _ring[_count % _ring.Length] = micros;
        _count++;
        _max = Math.Max(_max, micros);
    }

    /// <summary>
    /// Percentiles of the latencies recorded since the first <paramref name="since"/> (as far as
    /// the ring still holds them); with 0, of all, and the maximum of all.
    /// </summary>
    public LatencySummary Summary(long since = 0)
    {
        var from = Math.Max(since, _count - _ring.Length);
        if (from >= _count)
        {
            return new LatencySummary(Math.Max(0, _count - since), 0, 0, 0);
        }
        var sorted = new double[_count - from];
        for (var i = from; i < _count; i++)
        {
            sorted[i - from] = _ring[i % _ring.Length];
        }
        Array.Sort(sorted);
        return new LatencySummary(_count - since, Percentile(sorted, 0.50), Percentile(sorted, 0.99), since == 0 ? _max : sorted[^1]);
    }

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
}
