namespace Actors.Messages;

/// <summary>An actor's constructor or <c>PreStart</c> threw; the supervisor stops it by default.</summary>
public sealed class ActorInitializationException(string actor, Exception cause)
    : Exception($"Actor {actor} failed to start: {cause.Message}", cause);
