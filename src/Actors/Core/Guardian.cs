namespace Actors.Core;

/// <summary>The root, <c>/user</c> and <c>/system</c> actors: they only supervise their children.</summary>
internal sealed class Guardian : ActorBase
{
    protected override bool Receive(object message) => false;
}
