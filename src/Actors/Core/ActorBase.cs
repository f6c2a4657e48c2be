using Actors.Cell;
using Actors.Messages;
using Actors.Supervision;

namespace Actors.Core;

/// <summary>
/// Base of every actor. Messages are processed one at a time; <see cref="Context"/>,
/// <see cref="Self"/> and <see cref="Sender"/> are valid only while the actor runs
/// (constructor, lifecycle hooks, message handling).
/// </summary>
public abstract class ActorBase
{
    /// <summary>The context of the actor running on this thread.</summary>
    protected static IActorContext Context => ActorCell.Current
        ?? throw new InvalidOperationException("There is no actor context here: Context is only valid inside an actor's constructor, hooks and handlers.");

    protected IActorRef Self => Context.Self;

    protected IActorRef Sender => Context.Sender;

    /// <summary>
    /// Starts an async flow whose code after each <c>await</c> runs in this actor's context,
    /// interleaved with later messages (which do not wait for it, unlike <c>ReceiveAsync</c>).
    /// Use it for many concurrent requests on one actor; if the flow throws, the actor fails.
    /// </summary>
    protected static void RunInterleaved(Func<Task> flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        (ActorCell.Current ?? throw new InvalidOperationException("RunInterleaved is only valid inside an actor.")).RunInterleaved(flow);
    }

    /// <summary>The initial behaviour.</summary>
    protected abstract bool Receive(object message);

    /// <summary>Called for messages no behaviour handled: a <see cref="Terminated"/> kills the actor (death pact), others are published.</summary>
    protected virtual void Unhandled(object message)
    {
        if (message is Terminated terminated)
        {
            throw new DeathPactException(terminated.ActorRef);
        }
        var context = Context;
        context.System.EventStream.Publish(new UnhandledMessage(message, context.Sender, context.Self));
    }

    /// <summary>Runs before the first message, after the constructor.</summary>
    protected virtual void PreStart()
    {
    }

    /// <summary>Runs once the actor stopped; no message follows.</summary>
    protected virtual void PostStop()
    {
    }

    /// <summary>Runs on the failed instance before it is replaced; by default stops the children and calls <see cref="PostStop"/>.</summary>
    protected virtual void PreRestart(Exception reason, object? message)
    {
        foreach (var child in Context.GetChildren())
        {
            Context.Unwatch(child);
            Context.Stop(child);
        }
        PostStop();
    }

    /// <summary>Runs on the fresh instance after a restart; by default calls <see cref="PreStart"/>.</summary>
    protected virtual void PostRestart(Exception reason) => PreStart();

    /// <summary>How this actor handles its children's failures (restart, unless the failure is fatal).</summary>
    protected virtual SupervisorStrategy SupervisorStrategy() => Supervision.SupervisorStrategy.Default;

    // The cell calls the hooks through these, so that subclasses override plain protected
    // members whatever assembly they live in.
    internal bool InvokeReceive(object message) => Receive(message);

    internal void InvokeUnhandled(object message) => Unhandled(message);

    // Virtual so that runtime base classes (PersistentActor) can wrap the user's hooks, as
    // Akka's AroundPreStart / AroundPostRestart do.
    internal virtual void InvokePreStart() => PreStart();

    internal void InvokePostStop() => PostStop();

    internal void InvokePreRestart(Exception reason, object? message) => PreRestart(reason, message);

    internal virtual void InvokePostRestart(Exception reason) => PostRestart(reason);

    internal SupervisorStrategy InvokeSupervisorStrategy() => SupervisorStrategy();
}
