using Actors.Cell;
using Actors.Messages;

namespace Actors.Core;

/// <summary>
/// A one-shot reference that completes a task with the first message it is told: the
/// <c>Sender</c> of an <c>Ask</c>, and the watcher of a graceful stop.
/// </summary>
internal sealed class PromiseActorRef : ActorRefBase
{
    private readonly TaskCompletionSource<object> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActorSystem? _system;
    private readonly long _id;
    private readonly ITimer _timer;
    private ActorPath? _path;

    public PromiseActorRef(ActorSystem? system, TimeSpan timeout, Func<Exception> onTimeout)
    {
        _system = system;
        _id = ActorSystem.NextTempId();
        var clock = system?.Scheduler.Clock ?? TimeProvider.System;
        _timer = clock.CreateTimer(
            static state =>
            {
                var (promise, failure) = ((PromiseActorRef, Func<Exception>))state!;
                promise._completion.TrySetException(failure());
            },
            (this, onTimeout),
            timeout,
            Timeout.InfiniteTimeSpan);
        _completion.Task.ContinueWith(static (_, timer) => ((ITimer)timer!).Dispose(), _timer, TaskScheduler.Default);
    }

    public Task<object> Task => _completion.Task;

    // Built only when someone looks: most asks never need their path.
    public override ActorPath Path => _path ??= (_system?.TempRoot ?? ActorPath.Root(new Address("nobody", "nowhere"))) / ("$" + _id.ToString("x"));

    public override void Tell(object message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is Status.Failure failure)
        {
            _completion.TrySetException(failure.Cause);
        }
        else
        {
            _completion.TrySetResult(message);
        }
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.DeathWatchNotification notification)
        {
            _completion.TrySetResult(new Terminated(notification.Actor, notification.ExistenceConfirmed));
        }
    }

    internal override bool IsTerminated => _completion.Task.IsCompleted;
}
