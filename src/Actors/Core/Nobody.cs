using Actors.Cell;

namespace Actors.Core;

/// <summary>The sender of messages sent from outside any actor; what it is told is dropped.</summary>
public sealed class Nobody : ActorRefBase
{
    /// <summary>The single instance.</summary>
    public static readonly Nobody Instance = new();

    private static readonly ActorPath NobodyPath = ActorPath.Root(new Address("nobody", "nowhere")) / "nobody";

    private Nobody()
    {
    }

    public override ActorPath Path => NobodyPath;

    public override void Tell(object message, IActorRef sender)
    {
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch)
        {
            // Watching nobody: it never existed, so the watcher learns at once.
            ((ActorRefBase)watch.Watcher).SendSystemMessage(new SystemMessage.DeathWatchNotification(this, ExistenceConfirmed: false));
        }
    }

    internal override bool IsTerminated => true;
}
