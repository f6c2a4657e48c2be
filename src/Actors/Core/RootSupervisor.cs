using Actors.Cell;

namespace Actors.Core;

/// <summary>The parent of the root guardian: it ends the system when the root stops or fails.</summary>
internal sealed class RootSupervisor(ActorSystem system, ActorPath path) : ActorRefBase
{
    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef sender) => system.DeadLetter(message, sender, this);

    internal override void SendSystemMessage(SystemMessage message)
    {
        switch (message)
        {
            case SystemMessage.Failed failed:
                RuntimeLog.RootFailed(system.Log, system.Name, failed.Cause);
                ((ActorRefBase)failed.Child).SendSystemMessage(SystemMessage.Terminate.Instance);
                break;
            case SystemMessage.DeathWatchNotification:
                system.RootStopped();
                break;
        }
    }
}
