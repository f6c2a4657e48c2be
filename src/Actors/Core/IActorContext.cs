using Microsoft.Extensions.Logging;

namespace Actors.Core;

/// <summary>What an actor can do while it processes a message (Akka's <c>Context</c>).</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>The sender of the message being processed (<see cref="Nobody"/> outside a message).</summary>
    IActorRef Sender { get; }

    IActorRef Parent { get; }

    ActorSystem System { get; }

    Props Props { get; }

    /// <summary>Creates a child actor; a null name gets a generated one (<c>$a</c>, <c>$b</c>, ...).</summary>
    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>The child called <paramref name="name"/>, or <see cref="Nobody"/>.</summary>
    IActorRef Child(string name);

    IReadOnlyList<IActorRef> GetChildren();

    /// <summary>Stops <paramref name="actor"/> (a child, or this actor itself) after its current message.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Messages.Terminated"/> to this actor when <paramref name="subject"/> stops.</summary>
    IActorRef Watch(IActorRef subject);

    /// <summary>Stops watching; a <see cref="Messages.Terminated"/> already queued for it is dropped.</summary>
    IActorRef Unwatch(IActorRef subject);

    /// <summary>Replaces the current behaviour.</summary>
    void Become(Receive receive);

    /// <summary>Pushes a behaviour; <see cref="Unbecome"/> returns to the one below.</summary>
    void BecomeStacked(Receive receive);

    /// <summary>Pops the behaviour pushed last by <see cref="BecomeStacked"/> (never the initial one).</summary>
    void Unbecome();

    /// <summary>A logger whose category is the actor's type, with the actor's path in scope.</summary>
    ILogger GetLogger();
}
