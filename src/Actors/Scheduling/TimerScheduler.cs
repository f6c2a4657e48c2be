using Actors.Core;

namespace Actors.Scheduling;

/// <summary>The timers of one actor. Used only on the actor's own thread, so it needs no lock.</summary>
internal sealed class TimerScheduler(IActorRef self, Scheduler scheduler) : ITimerScheduler
{
    private readonly Dictionary<object, Timer> _timers = [];
    private int _generation;

    public void StartSingleTimer(object key, object message, TimeSpan timeout) => Start(key, message, timeout, null);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) => Start(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval) =>
        Start(key, message, initialDelay, interval);

    public bool IsTimerActive(object key) => _timers.ContainsKey(key);

    public void Cancel(object key)
    {
        if (_timers.Remove(key, out var timer))
        {
            timer.Cancelable.Cancel();
        }
    }

    public void CancelAll()
    {
        foreach (var timer in _timers.Values)
        {
            timer.Cancelable.Cancel();
        }
        _timers.Clear();
    }

    /// <summary>
    /// Unwraps a timer's message when it is still current; null when its timer was replaced or
    /// cancelled after the message was queued (the generation check).
    /// </summary>
    public object? Accept(TimerMessage message)
    {
        if (!_timers.TryGetValue(message.Key, out var timer) || timer.Generation != message.Generation)
        {
            return null;
        }
        if (!timer.Periodic)
        {
            _timers.Remove(message.Key);
        }
        return message.Message;
    }

    private void Start(object key, object message, TimeSpan delay, TimeSpan? interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        Cancel(key);
        var generation = ++_generation;
        var envelope = new TimerMessage(key, generation, message, this);
        var cancelable = interval is { } every
            ? scheduler.ScheduleTellRepeatedly(delay, every, self, envelope, self)
            : scheduler.ScheduleTellOnce(delay, self, envelope, self);
        _timers[key] = new Timer(generation, interval is not null, cancelable);
    }

    private sealed record Timer(int Generation, bool Periodic, ICancelable Cancelable);
}
