using System.Runtime.CompilerServices;
using Akka.Actor;

namespace Actors.IoThreads;

/// <summary>
/// The parent of a system's IoThreads (<c>/system/iothreads</c>). A failed IoThread is stopped,
/// never restarted: a fresh instance would have lost the reader count the graph lock relies on.
/// </summary>
internal sealed class IoThreadSupervisor : ReceiveActor
{
    private static readonly ConditionalWeakTable<ActorSystem, IActorRef> s_supervisors = [];

    private static readonly Lock s_lock = new();

    private readonly Dictionary<IActorRef, List<IActorRef>> _retiring = [];

    public IoThreadSupervisor()
    {
        Receive<StartIoThread>(start =>
        {
            if (!Context.Child(start.Name).IsNobody())
            {
                Sender.Tell(new Status.Failure(new InvalidOperationException($"IoThread '{start.Name}' already exists in {Context.System.Name}")), Self);
                return;
            }
            Sender.Tell(Context.ActorOf(start.Props, start.Name), Self);
        });
        Receive<RetireIoThread>(retire => Retire(retire.Name));
        Receive<Terminated>(terminated => _retiring.ContainsKey(terminated.ActorRef), terminated =>
        {
            // This parent removed the child before it handles Terminated: the name is free now.
            _retiring.Remove(terminated.ActorRef, out var askers);
            foreach (var asker in askers!)
            {
                asker.Tell(new IoThreadRetired(terminated.ActorRef.Path.Name), Self);
            }
        });
    }

    public static IActorRef For(ActorSystem system)
    {
        // GetValue may run its factory twice under a race; the lock makes the actor unique.
        lock (s_lock)
        {
            return s_supervisors.GetValue(system, static s => ((ExtendedActorSystem)s).SystemActorOf(Props.Create<IoThreadSupervisor>(), "iothreads"));
        }
    }

    private void Retire(string name)
    {
        var ioThread = Context.Child(name);
        if (ioThread.IsNobody())
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException($"IoThread '{name}' does not exist in {Context.System.Name}")), Self);
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
