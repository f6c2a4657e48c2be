using System.Collections.Concurrent;
using Actors.Cell;
using Actors.Core;
using Actors.Dispatch;
using Actors.Messages;

namespace Actors.TestKit;

/// <summary>
/// The reference behind <c>TestActor</c> and every probe: what it is told is queued for the
/// test's expectations, and the death of an actor it watches arrives as <see cref="Terminated"/>.
/// It has no mailbox thread, so it keeps receiving even when every pool thread is busy.
/// </summary>
internal sealed class TestActorRef(ActorPath path) : ActorRefBase
{
    public BlockingCollection<Envelope> Queue { get; } = [];

    public override ActorPath Path { get; } = path;

    public override void Tell(object message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        Queue.Add(new Envelope(message, sender ?? Nobody.Instance));
    }

    internal override void SendSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.DeathWatchNotification notification)
        {
            Queue.Add(new Envelope(new Terminated(notification.Actor, notification.ExistenceConfirmed), notification.Actor));
        }
    }
}
