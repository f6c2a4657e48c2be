using Actors.Core;
using Actors.Messages;

namespace Actors.Supervision;

/// <summary>Decides what happens to a child that threw.</summary>
public abstract class SupervisorStrategy
{
    /// <summary>One-for-one, restarting on any exception except the fatal ones of <see cref="DefaultDecider"/>.</summary>
    public static readonly SupervisorStrategy Default = new OneForOneStrategy(DefaultDecider);

    /// <summary>Stop on failed start, <see cref="Kill"/> and unhandled <see cref="Terminated"/>; restart otherwise.</summary>
    public static Directive DefaultDecider(Exception cause) => cause switch
    {
        ActorInitializationException or ActorKilledException or DeathPactException => Directive.Stop,
        _ => Directive.Restart,
    };

    /// <summary>The directive for <paramref name="child"/>, given its restart history.</summary>
    internal abstract Directive Decide(IActorRef child, Exception cause, RestartStatistics statistics, DateTimeOffset now);
}
