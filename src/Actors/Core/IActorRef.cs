namespace Actors.Core;

/// <summary>
/// A handle to an actor, wherever it runs. Sending never blocks and never throws because the
/// target is gone: such messages go to dead letters.
/// </summary>
public interface IActorRef : IEquatable<IActorRef>
{
    /// <summary>Where the actor lives.</summary>
    ActorPath Path { get; }

    /// <summary>Sends <paramref name="message"/> with <paramref name="sender"/> as the reply address.</summary>
    void Tell(object message, IActorRef sender);
}
