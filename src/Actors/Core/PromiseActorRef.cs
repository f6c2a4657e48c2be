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
    private readonly IActorRef _target;
    private readonly Type? _messageType;
    private readonly TimeSpan _timeout;
    private readonly long _id;
    private readonly ITimer? _timer;
    private ActorPath? _path;

    /// <summary>A promise that fails with <see cref="AskTimeoutException"/> after <paramref name="timeout"/> (never when infinite).</summary>
    /// <param name="system">Supplies the clock and the temp path; null outside any system.</param>
    /// <param name="target">Who was asked, for the timeout message.</param>
    /// <param name="messageType">What was asked, for the timeout message; null for a graceful stop.</param>
    /// <param name="timeout">How long to wait for the reply.</param>
    public PromiseActorRef(ActorSystem? system, IActorRef target, Type? messageType, TimeSpan timeout)
    {
        _system = system;
        _target = target;
        _messageType = messageType;
        _timeout = timeout;
        _id = ActorSystem.NextTempId();
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            var clock = system?.Scheduler.Clock ?? TimeProvider.System;
            _timer = clock.CreateTimer(static state => ((PromiseActorRef)state!).TimedOut(), this, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    public Task<object> Task => _completion.Task;

    // Built only when someone looks: most asks never need their path.
    public override ActorPath Path => _path ??= (_system?.TempRoot ?? ActorPath.Root(new Address("nobody", "nowhere"))) / ("$" + _id.ToString("x"));

    public override void Tell(object message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        var completed = message is Status.Failure failure
            ? _completion.TrySetException(failure.Cause)
            : _completion.TrySetResult(message);
        if (completed)
        {
            _timer?.Dispose();
        }
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.DeathWatchNotification notification && _completion.TrySetResult(new Terminated(notification.Actor, notification.ExistenceConfirmed)))
        {
            _timer?.Dispose();
        }
    }

    internal override bool IsTerminated => _completion.Task.IsCompleted;

    private void TimedOut()
    {
        var what = _messageType is null
            ? $"{_target.Path} did not stop within {_timeout.TotalMilliseconds:0} ms."
            : $"Ask to {_target.Path} with {_messageType.Name} got no reply within {_timeout.TotalMilliseconds:0} ms.";
        _completion.TrySetException(new AskTimeoutException(what));
    }
}
