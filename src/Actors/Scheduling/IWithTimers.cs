namespace Actors.Scheduling;

/// <summary>
/// Implemented by actors that use timers. The runtime sets <see cref="Timers"/> once the constructor
/// has returned (it cannot reach the instance earlier): start timers in <c>PreStart</c> or in a handler.
/// </summary>
public interface IWithTimers
{
    ITimerScheduler Timers { get; set; }
}
