using System.Reflection;
using System.Runtime.ExceptionServices;
using Actors.Supervision;

namespace Actors.Core;

/// <summary>How to make an actor: its factory, its dispatcher and the strategy it supervises its children with.</summary>
public sealed record Props
{
    /// <summary>The dispatcher actors run on unless their props say otherwise.</summary>
    public const string DefaultDispatcher = "default";

    /// <summary>The dispatcher that gives each actor a dedicated thread (see <c>actors.dispatchers.pinned</c>).</summary>
    public const string PinnedDispatcher = "pinned";

    private Props(Type actorType, Func<ActorBase> factory)
    {
        ActorType = actorType;
        Factory = factory;
    }

    public Type ActorType { get; }

    internal Func<ActorBase> Factory { get; }

    /// <summary>The dispatcher id, a key under <c>actors.dispatchers</c> in the config.</summary>
    public string Dispatcher { get; init; } = DefaultDispatcher;

    /// <summary>Overrides the actor's own <see cref="ActorBase.SupervisorStrategy"/> when set.</summary>
    public SupervisorStrategy? SupervisorStrategy { get; init; }

    /// <summary>Props for an actor with a parameterless constructor.</summary>
    public static Props Create<TActor>() where TActor : ActorBase, new() => new(typeof(TActor), static () => Construct<TActor>());

    /// <summary>Props for an actor made by <paramref name="factory"/>; called again on every restart.</summary>
    public static Props Create<TActor>(Func<TActor> factory) where TActor : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(TActor), factory);
    }

    // `new TActor()` on a type parameter goes through Activator, which wraps whatever the
    // constructor throws in a TargetInvocationException. Unwrapped, the supervisor and the
    // ActorInitializationException message see the constructor's own exception.
    private static TActor Construct<TActor>() where TActor : new()
    {
        try
        {
            return new TActor();
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(wrapped.InnerException);
            throw;
        }
    }

    public Props WithDispatcher(string dispatcherId)
    {
        ArgumentException.ThrowIfNullOrEmpty(dispatcherId);
        return this with { Dispatcher = dispatcherId };
    }

    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return this with { SupervisorStrategy = strategy };
    }
}
