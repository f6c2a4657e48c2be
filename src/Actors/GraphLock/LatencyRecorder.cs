namespace Actors.GraphLock;

/// <summary>Keeps the most recent latencies (a ring) and answers percentiles over them. Single-threaded (the Coordinator's).</summary>
internal sealed class LatencyRecorder(int capacity = 8192)
{
    private readonly double[] _ring = new double[capacity];
    private long _count;
    private double _max;

    public void Record(TimeSpan latency)
    {
        var micros = latency.Ticks / (double)TimeSpan.TicksPerMicrosecond;
        _ring[_count % _ring.Length] = micros;
        _count++;
        _max = Math.Max(_max, micros);
    }

    public LatencySummary Summary()
    {
        var kept = (int)Math.Min(_count, _ring.Length);
        if (kept == 0)
        {
            return new LatencySummary(0, 0, 0, 0);
        }
        var sorted = _ring[..kept];
        Array.Sort(sorted);
        return new LatencySummary(_count, Percentile(sorted, 0.50), Percentile(sorted, 0.99), _max);
    }

    private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
}
