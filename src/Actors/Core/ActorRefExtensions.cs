using Actors.Cell;
using Actors.Messages;

namespace Actors.Core;

/// <summary>Sending helpers on <see cref="IActorRef"/>: implicit sender, forward, ask, graceful stop.</summary>
public static class ActorRefExtensions
{
    /// <summary>Sends with the current actor as sender (or <see cref="Nobody"/> outside an actor).</summary>
    public static void Tell(this IActorRef target, object message) =>
        target.Tell(message, ActorCell.Current?.SelfRef ?? (IActorRef)Nobody.Instance);

    /// <summary>Sends keeping the original sender of the message being processed.</summary>
    public static void Forward(this IActorRef target, object message) =>
        target.Tell(message, ActorCell.Current?.Sender ?? Nobody.Instance);

    /// <summary>
    /// Sends <paramref name="message"/> and waits for the first reply. A <see cref="Status.Failure"/>
    /// reply throws its cause; no reply within <paramref name="timeout"/> throws <see cref="AskTimeoutException"/>.
    /// </summary>
    public static async Task<T> Ask<T>(this IActorRef target, object message, TimeSpan timeout)
    {
        var reply = await Ask(target, message, timeout).ConfigureAwait(false);
        return reply is T typed
            ? typed
            : throw new InvalidCastException($"Ask to {target.Path} expected a {typeof(T).Name} reply but got {reply.GetType().Name}.");
    }

    /// <summary>Sends <paramref name="message"/> and waits for the first reply, whatever its type.</summary>
    public static Task<object> Ask(this IActorRef target, object message, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var promise = new PromiseActorRef(SystemOf(target), target, message.GetType(), timeout);
        target.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>
    /// Stops <paramref name="target"/> by sending it <paramref name="stopMessage"/> (a <see cref="PoisonPill"/>
    /// by default); true once it has stopped, false if it had not within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> GracefulStop(this IActorRef target, TimeSpan timeout, object? stopMessage = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var promise = new PromiseActorRef(SystemOf(target), target, messageType: null, timeout);
        ((ActorRefBase)target).SendSystemMessage(new SystemMessage.Watch(target, promise));
        target.Tell(stopMessage ?? PoisonPill.Instance, Nobody.Instance);
        try
        {
            await promise.Task.ConfigureAwait(false);
            return true;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    private static ActorSystem? SystemOf(IActorRef target) => (target as LocalActorRef)?.Cell.System ?? ActorCell.Current?.System;
}
