namespace Actors.Scheduling;

/// <summary>
/// Keyed timers owned by one actor (Akka's <c>ITimerScheduler</c>). Starting a timer with a key
/// in use replaces it, and a message of a replaced or cancelled timer is never delivered, even
/// if it was already queued. All timers are cancelled when the actor stops or restarts.
/// </summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan timeout);

    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    bool IsTimerActive(object key);

    void Cancel(object key);

    void CancelAll();
}
