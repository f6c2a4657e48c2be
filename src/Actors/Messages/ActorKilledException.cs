namespace Actors.Messages;

/// <summary>Thrown inside an actor that received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException(string actor) : Exception($"Actor {actor} was killed.");
