using Actors.Core;

namespace Actors.Scheduling;

/// <summary>
/// Delivers messages later, on the system's clock: real time by default, or a
/// <see cref="VirtualClock"/> that tests advance by hand.
/// </summary>
public sealed class Scheduler(TimeProvider clock)
{
    /// <summary>The clock this scheduler runs on.</summary>
    public TimeProvider Clock { get; } = clock;

    public DateTimeOffset Now => Clock.GetUtcNow();

    /// <summary>Tells <paramref name="receiver"/> <paramref name="message"/> once, after <paramref name="delay"/>.</summary>
    public ICancelable ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef sender) =>
        ScheduleOnce(delay, () => receiver.Tell(message, sender));

    /// <summary>Tells <paramref name="receiver"/> <paramref name="message"/> after <paramref name="initialDelay"/>, then every <paramref name="interval"/>.</summary>
    public ICancelable ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef sender)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return Schedule(initialDelay, interval, () => receiver.Tell(message, sender));
    }

    /// <summary>Runs <paramref name="action"/> once after <paramref name="delay"/> on a timer thread; keep it short.</summary>
    public ICancelable ScheduleOnce(TimeSpan delay, Action action) => Schedule(delay, Timeout.InfiniteTimeSpan, action);

    private ICancelable Schedule(TimeSpan delay, TimeSpan period, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(action);
        var timer = Clock.CreateTimer(static state => ((Action)state!)(), action, delay, period);
        return new TimerCancelable(timer);
    }

    private sealed class TimerCancelable(ITimer timer) : ICancelable
    {
        public void Cancel() => timer.Dispose();
    }
}
