using Actors.Cell;

namespace Actors.Core;

/// <summary>
/// Common base of the runtime's references: equality by path, and the system-message channel
/// the runtime uses for lifecycle (watch, stop, supervise).
/// </summary>
public abstract class ActorRefBase : IActorRef
{
    public abstract ActorPath Path { get; }

    public abstract void Tell(object message, IActorRef sender);

    /// <summary>Delivers a runtime-internal lifecycle message, ahead of user messages.</summary>
    internal abstract void SendSystemMessage(SystemMessage message);

    /// <summary>True once the actor behind this reference has stopped for good.</summary>
    internal virtual bool IsTerminated => false;

    public bool Equals(IActorRef? other) => other is not null && Path.Equals(other.Path);

    public override bool Equals(object? obj) => obj is IActorRef other && Equals(other);

    public override int GetHashCode() => Path.GetHashCode();

    public override string ToString() => Path.ToString();
}
