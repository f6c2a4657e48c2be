using Actors.Core;

namespace Actors.Messages;

/// <summary>Thrown in a watcher that did not handle the <see cref="Terminated"/> of an actor it watched.</summary>
public sealed class DeathPactException(IActorRef dead)
    : Exception($"Watched actor {dead.Path} terminated and the watcher did not handle Terminated.")
{
    public IActorRef DeadActor { get; } = dead;
}
