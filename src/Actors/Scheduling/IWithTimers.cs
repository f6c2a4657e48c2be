namespace Actors.Scheduling;

/// <summary>Implemented by actors that use timers; the runtime sets <see cref="Timers"/> before the constructor runs.</summary>
public interface IWithTimers
{
    ITimerScheduler Timers { get; set; }
}
