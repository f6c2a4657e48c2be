namespace Actors.Supervision;

/// <summary>One child's restarts within the current window, kept by its supervisor.</summary>
internal sealed class RestartStatistics
{
    private int _count;
    private DateTimeOffset _windowStart;

    /// <summary>Counts a restart; false when it would exceed <paramref name="maxNrOfRetries"/> within the window.</summary>
    public bool RequestRestart(int maxNrOfRetries, TimeSpan window, DateTimeOffset now)
    {
        if (maxNrOfRetries < 0)
        {
            return true;
        }
        if (window != Timeout.InfiniteTimeSpan && (_count == 0 || now - _windowStart > window))
        {
            _windowStart = now;
            _count = 0;
        }
        _count++;
        return _count <= maxNrOfRetries;
    }
}
