namespace Actors.Core;

/// <summary>
/// Publish/subscribe by message type inside one actor system (dead letters, unhandled messages,
/// and anything an application publishes). Subscribers receive every published message that is
/// assignable to the type they subscribed to.
/// </summary>
public sealed class EventStream
{
    private readonly Lock _lock = new();
    private (IActorRef Subscriber, Type Channel)[] _subscriptions = [];

    /// <summary>Subscribes <paramref name="subscriber"/> to messages assignable to <paramref name="channel"/>.</summary>
    public void Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        lock (_lock)
        {
            if (!_subscriptions.Contains((subscriber, channel)))
            {
                _subscriptions = [.. _subscriptions, (subscriber, channel)];
            }
        }
    }

    /// <summary>Removes every subscription of <paramref name="subscriber"/>.</summary>
    public void Unsubscribe(IActorRef subscriber)
    {
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions.Where(s => !s.Subscriber.Equals(subscriber))];
        }
    }

    public void Publish(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var type = message.GetType();
        // Copy-on-write: publishing reads a stable snapshot without taking the lock.
        foreach (var (subscriber, channel) in Volatile.Read(ref _subscriptions))
        {
            if (channel.IsAssignableFrom(type))
            {
                subscriber.Tell(message, Nobody.Instance);
            }
        }
    }
}
