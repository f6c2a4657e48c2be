using Akka.Actor;

namespace Host.Cluster;

/// <summary>
/// Tells other hosts this host's name (<c>actors.host</c>), which Akka's membership does not
/// carry: a member is known there by its address only. Runs on every host at
/// <see cref="Path"/>, where <see cref="ClusterStatus"/> asks it.
/// </summary>
public sealed class HostIdentity : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>, the same on every host.</summary>
    public const string Name = "host-identity";

    public HostIdentity(string host)
    {
        var answer = new HostIdentified(host);
        Receive<IdentifyHost>(_ => Sender.Tell(answer));
    }

    /// <summary>Its path on the host at <paramref name="address"/>.</summary>
    public static ActorPath Path(Address address) => new RootActorPath(address) / "user" / Name;

    /// <summary>Its props, answering <paramref name="host"/>; start it under <see cref="Name"/>.</summary>
    public static Props Props(string host) => Akka.Actor.Props.Create(() => new HostIdentity(host));
}
