namespace Nodes.Drivers;

/// <summary>
/// One throttling limit as QEMU's throttle.c models it: a bucket that leaks at <see cref="Average"/>
/// units per second. A request may start while the level is within the bucket (a tenth of a
/// second of average, or <c>max × burst-length</c> when a burst is allowed) and its units are
/// added when it starts; with a burst, a second bucket leaking at <see cref="Max"/> bounds the
/// burst rate itself.
/// </summary>
internal sealed class LeakyBucket(double average, double max, double burstSeconds)
{
    private double _level;
    private double _burstLevel;

    public double Average { get; } = average;

    public double Max { get; } = max;

    public bool Enabled => Average > 0;

    public void Leak(double seconds)
    {
        _level = Math.Max(0, _level - (Average * seconds));
        if (Max > 0)
        {
            _burstLevel = Math.Max(0, _burstLevel - (Max * seconds));
        }
    }

    /// <summary>How long a request must wait before it may start; zero when it may start now.</summary>
    public double WaitSeconds()
    {
        if (!Enabled)
        {
            return 0;
        }
        var size = Max > 0 ? Max * burstSeconds : Average / 10;
        var wait = Math.Max(0, (_level - size) / Average);
        if (Max > 0)
        {
            wait = Math.Max(wait, (_burstLevel - (Max / 10)) / Max);
        }
        return wait;
    }

    public void Account(double units)
    {
        _level += units;
        _burstLevel += units;
    }
}
