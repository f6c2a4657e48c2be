using Akka.Actor;
using Akka.Cluster;

namespace Actors.Singletons;

/// <summary>What a singleton asks of the cluster's membership about the actors that register with it.</summary>
public static class ClusterMembers
{
    /// <summary>
    /// Whether <paramref name="actor"/>'s host is a member that is up, as this host sees it: not
    /// leaving, exiting or down (its front ends are closed, and it must not hold up a write or a
    /// graph change until it is gone). Always true outside a cluster.
    /// </summary>
    public static bool IsUp(ActorSystem system, IActorRef actor)
    {
        if (system is not ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            return true;
        }
        var cluster = Cluster.Get(system);
        var address = AddressOf(cluster, actor);
        return cluster.State.Members.Any(m => m.Address == address && m.Status == MemberStatus.Up);
    }

    /// <summary>The address of the member <paramref name="actor"/> lives on (a local ref's path carries none).</summary>
    public static Address AddressOf(Cluster cluster, IActorRef actor) =>
        actor.Path.Address.HasLocalScope ? cluster.SelfAddress : actor.Path.Address;
}
