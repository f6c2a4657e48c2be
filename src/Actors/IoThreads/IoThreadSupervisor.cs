using System.Runtime.CompilerServices;
using Actors.Core;
using Actors.Supervision;

namespace Actors.IoThreads;

/// <summary>
/// The parent of a system's IoThreads (<c>/system/iothreads</c>). A failed IoThread is stopped,
/// never restarted: a fresh instance would have lost the reader count the graph lock relies on.
/// </summary>
internal sealed class IoThreadSupervisor : ActorBase
{
    private static readonly ConditionalWeakTable<ActorSystem, IActorRef> s_supervisors = [];

    private static readonly Lock s_lock = new();

    public static LocalActorRef For(ActorSystem system)
    {
        // GetValue may run its factory twice under a race; the lock makes the actor unique.
        lock (s_lock)
        {
            return (LocalActorRef)s_supervisors.GetValue(system, static s => s.SystemActorOf(Props.Create<IoThreadSupervisor>(), "iothreads"));
        }
    }

    protected override bool Receive(object message) => false;

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
