using System.Runtime.CompilerServices;
using Actors.Core;
using Actors.Messages;
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

    private readonly Dictionary<IActorRef, List<IActorRef>> _retiring = [];

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case RetireIoThread retire:
                Retire(retire.Name);
                return true;
            case Terminated terminated when _retiring.Remove(terminated.ActorRef, out var askers):
                // This parent removed the child before it handles Terminated: the name is free now.
                foreach (var asker in askers)
                {
                    asker.Tell(new Status.Success(terminated.ActorRef.Path.Name), Self);
                }
                return true;
            default:
                return false;
        }
    }

    private void Retire(string name)
    {
        var ioThread = Context.Child(name);
        if (ioThread is Nobody)
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException($"IoThread '{name}' does not exist in {Context.System.Address}")), Self);
            return;
        }
        if (!_retiring.TryGetValue(ioThread, out var askers))
        {
            _retiring[ioThread] = askers = [];
            Context.Watch(ioThread);
            ioThread.Tell(StopIoThread.Instance, Self);
        }
        askers.Add(Sender);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
}
