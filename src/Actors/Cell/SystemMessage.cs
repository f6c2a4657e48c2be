using Actors.Core;

namespace Actors.Cell;

/// <summary>
/// Lifecycle messages the runtime exchanges between cells. They bypass the user queue and are
/// processed first, also while an actor is suspended (failed, awaiting a task, restarting).
/// </summary>
internal abstract record SystemMessage
{
    private SystemMessage()
    {
    }

    /// <summary>Construct the actor instance and run <c>PreStart</c>, on the actor's own dispatcher.</summary>
    internal sealed record Create : SystemMessage
    {
        public static readonly Create Instance = new();
    }

    /// <summary>Stop this actor (its children first).</summary>
    internal sealed record Terminate : SystemMessage
    {
        public static readonly Terminate Instance = new();
    }

    /// <summary>Start watching the receiver on behalf of <paramref name="Watcher"/>.</summary>
    internal sealed record Watch(IActorRef Watchee, IActorRef Watcher) : SystemMessage;

    /// <summary>Stop watching the receiver on behalf of <paramref name="Watcher"/>.</summary>
    internal sealed record Unwatch(IActorRef Watchee, IActorRef Watcher) : SystemMessage;

    /// <summary>Tells a watcher or parent that <paramref name="Actor"/> stopped.</summary>
    internal sealed record DeathWatchNotification(IActorRef Actor, bool ExistenceConfirmed) : SystemMessage;

    /// <summary>Sent by a failed child to its parent, which applies its supervisor strategy.</summary>
    internal sealed record Failed(IActorRef Child, Exception Cause) : SystemMessage;

    /// <summary>The supervisor decided: carry on with the next message.</summary>
    internal sealed record Resume : SystemMessage
    {
        public static readonly Resume Instance = new();
    }

    /// <summary>The supervisor decided: make a fresh instance, keeping the mailbox.</summary>
    internal sealed record Recreate(Exception Cause) : SystemMessage;

    /// <summary>A continuation of an actor's async handler, run in the actor's context.</summary>
    internal sealed record Continuation(SendOrPostCallback Callback, object? State) : SystemMessage;

    /// <summary>An interleaved async flow of the actor failed: the actor fails with its exception.</summary>
    internal sealed record InterleavedFailed(AggregateException Failure) : SystemMessage;

    /// <summary>An actor's async handler finished; user messages may flow again.</summary>
    internal sealed record HandlerCompleted(Task Task) : SystemMessage;
}
