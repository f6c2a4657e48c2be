using System.Diagnostics;

namespace Actors.GraphLock;

/// <summary>
/// Times the phases of each write (<see cref="WritePhases"/>) and remembers the longest drain with
/// the reader that left last in it: the one the writer waited for. Stopwatch timestamps only, taken
/// on the Coordinator's messages, never on a reader's path. Single-threaded (the Coordinator's).
/// </summary>
internal sealed class WriteTimeline
{
    private readonly LatencyRecorder _queued = new();
    private readonly LatencyRecorder _stop = new();
    private readonly LatencyRecorder _drain = new();
    private readonly LatencyRecorder _section = new();
    private readonly LatencyRecorder _unlock = new();
    private readonly LatencyRecorder _deferred = new();
    // Each drain with the reader it waited for last, by the drain recorder's index (a ring of the same size).
    private readonly SlowestDrain[] _drains = new SlowestDrain[LatencyRecorder.DefaultCapacity];
    private long _began;
    private long _stopped;
    private long _granted;
    private long _unlocking;
    private long _deferredStarted;
    private DrainReader? _lastReader;
    private SlowestDrain? _slowest;

    /// <summary>BeginWrite went out for a write requested at <paramref name="requestedAt"/>.</summary>
    public void Began(long requestedAt)
    {
        _began = Stopwatch.GetTimestamp();
        _queued.Record(Stopwatch.GetElapsedTime(requestedAt, _began));
        _stopped = 0;
        _lastReader = null;
    }

    /// <summary>Every context reported for the write: no new reader gets in. Only the first call of a write counts.</summary>
    public void Stopped()
    {
        if (_stopped == 0)
        {
            _stopped = Stopwatch.GetTimestamp();
            _stop.Record(Stopwatch.GetElapsedTime(_began, _stopped));
        }
    }

    /// <summary>A reader left while the write waited; the last one before the grant is the one it waited for.</summary>
    public void ReaderLeft(DrainReader reader) => _lastReader = reader;

    /// <summary>The write is granted (write <paramref name="epoch"/>); returns how long it waited since <paramref name="requestedAt"/>.</summary>
    public TimeSpan Granted(long epoch, long requestedAt)
    {
        _granted = Stopwatch.GetTimestamp();
        var drain = Stopwatch.GetElapsedTime(_stopped, _granted);
        var drained = new SlowestDrain(epoch, drain.TotalMicroseconds, _lastReader);
        _drains[_drain.Count % _drains.Length] = drained;
        _drain.Record(drain);
        if (_slowest is null || drained.DrainMicros > _slowest.DrainMicros)
        {
            _slowest = drained;
        }
        return Stopwatch.GetElapsedTime(requestedAt, _granted);
    }

    /// <summary>The writer released the write; EndWrite goes out now.</summary>
    public void Released()
    {
        _unlocking = Stopwatch.GetTimestamp();
        _section.Record(Stopwatch.GetElapsedTime(_granted, _unlocking));
    }

    /// <summary>Every context resumed its parked readers after the last release.</summary>
    public void Resumed() => _unlock.Record(Stopwatch.GetElapsedTime(_unlocking));

    /// <summary>RunDeferred went out; again after a write the deferred work asked for, which does not restart the clock.</summary>
    public void DeferredStarted()
    {
        if (_deferredStarted == 0)
        {
            _deferredStarted = Stopwatch.GetTimestamp();
        }
    }

    public void DeferredDone()
    {
        if (_deferredStarted != 0)
        {
            _deferred.Record(Stopwatch.GetElapsedTime(_deferredStarted));
            _deferredStarted = 0;
        }
    }

    /// <summary>The phases of every write, or with <paramref name="since"/> (an earlier summary) of the writes after it.</summary>
    public WritePhases Summary(WritePhases? since = null) => new(
        _queued.Summary(since?.Queued.Count ?? 0),
        _stop.Summary(since?.Stop.Count ?? 0),
        _drain.Summary(since?.Drain.Count ?? 0),
        _section.Summary(since?.Section.Count ?? 0),
        _unlock.Summary(since?.Unlock.Count ?? 0),
        _deferred.Summary(since?.Deferred.Count ?? 0),
        since is null ? _slowest : SlowestSince(since.Drain.Count));

    private SlowestDrain? SlowestSince(long since)
    {
        SlowestDrain? slowest = null;
        for (var i = Math.Max(since, _drain.Count - _drains.Length); i < _drain.Count; i++)
        {
            var drain = _drains[i % _drains.Length];
            if (slowest is null || drain.DrainMicros > slowest.DrainMicros)
            {
                slowest = drain;
            }
        }
        return slowest;
    }
}
