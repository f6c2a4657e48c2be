using Actors.Cell;
using Actors.Messages;

namespace Actors.Core;

/// <summary>Where undeliverable messages go: each is published on the event stream as a <see cref="DeadLetter"/>.</summary>
internal sealed class DeadLetterActorRef(ActorSystem system, ActorPath path) : ActorRefBase
{
    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is DeadLetter letter)
        {
            system.EventStream.Publish(letter);
            return;
        }
        system.DeadLetter(message, sender ?? Nobody.Instance, this);
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch)
        {
            ((ActorRefBase)watch.Watcher).SendSystemMessage(new SystemMessage.DeathWatchNotification(this, ExistenceConfirmed: false));
        }
    }

    internal override bool IsTerminated => true;
}
