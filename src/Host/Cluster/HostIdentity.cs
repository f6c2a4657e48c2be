using Akka.Actor;

namespace Host.Cluster;

/// <summary>
/// Tells other hosts this host's name (<c>actors.host</c>), which Akka's membership does not
/// carry (a member is known there by its address only), and where its NBD server listens now
/// (the exports of its nodes are served there). Runs on every host at
/// <see cref="Path"/>, where <see cref="ClusterStatus"/> asks it.
/// </summary>
public sealed class HostIdentity : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>, the same on every host.</summary>
    public const string Name = "host-identity";

    public HostIdentity(string host, Func<string?> nbdServer)
    {
        Receive<IdentifyHost>(_ => Sender.Tell(new HostIdentified(host, nbdServer())));
    }

    /// <summary>Its path on the host at <paramref name="address"/>.</summary>
    public static ActorPath Path(Address address) => new RootActorPath(address) / "user" / Name;

    /// <summary>Its props, answering <paramref name="host"/> and what <paramref name="nbdServer"/> says at the time; start it under <see cref="Name"/>.</summary>
    public static Props Props(string host, Func<string?> nbdServer) => Akka.Actor.Props.Create(() => new HostIdentity(host, nbdServer));
}
