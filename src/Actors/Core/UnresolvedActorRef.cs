using Actors.Cell;

namespace Actors.Core;

/// <summary>
/// A reference read from a message whose path names no actor of this system (another host, or
/// an actor that is gone). Until remote delivery exists, what it is told goes to dead letters.
/// </summary>
internal sealed class UnresolvedActorRef(ActorSystem system, ActorPath path) : ActorRefBase
{
    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef sender) => system.DeadLetter(message, sender ?? Nobody.Instance, this);

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch)
        {
            ((ActorRefBase)watch.Watcher).SendSystemMessage(new SystemMessage.DeathWatchNotification(this, ExistenceConfirmed: false));
        }
    }
}
