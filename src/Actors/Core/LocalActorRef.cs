using Actors.Cell;
using Actors.Dispatch;

namespace Actors.Core;

/// <summary>A reference to an actor in this process.</summary>
internal sealed class LocalActorRef : ActorRefBase
{
    public LocalActorRef(ActorSystem system, ActorPath path, Props props, Dispatcher dispatcher, ActorRefBase parent)
    {
        Path = path;
        Cell = new ActorCell(system, this, props, dispatcher, parent);
    }

    public override ActorPath Path { get; }

    internal ActorCell Cell { get; }

    public override void Tell(object message, IActorRef sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        Cell.Post(message, sender ?? Nobody.Instance);
    }

    internal override void SendSystemMessage(SystemMessage message) => Cell.PostSystem(message);

    internal override bool IsTerminated => Cell.IsTerminated;
}
