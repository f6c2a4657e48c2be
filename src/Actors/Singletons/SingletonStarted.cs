using Actors.Serialization;
using Akka.Actor;

namespace Actors.Singletons;

/// <summary>
/// Told by a singleton that just started (a new Coordinator, a new owner of the graph) to the
/// actors on every member that register with it (see <see cref="Registration"/>), so that they
/// register with it at once instead of waiting until their proxy finds it.
/// </summary>
[Manifest("singleton.started.v1")]
public sealed record SingletonStarted
{
    public static readonly SingletonStarted Instance = new();

    /// <summary>
    /// Tells the actor <c>/user/<paramref name="registrant"/></c> of every member that is up that
    /// <paramref name="context"/>'s actor started; nothing outside a cluster.
    /// </summary>
    public static void Announce(IActorContext context, string registrant)
    {
        if (context.System is not ExtendedActorSystem { Provider: Akka.Cluster.IClusterActorRefProvider })
        {
            return;
        }
        foreach (var member in Akka.Cluster.Cluster.Get(context.System).State.Members.Where(m => m.Status == Akka.Cluster.MemberStatus.Up))
        {
            context.ActorSelection(new RootActorPath(member.Address) / "user" / registrant).Tell(Instance, context.Self);
        }
    }
}
