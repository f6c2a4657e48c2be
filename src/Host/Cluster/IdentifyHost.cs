using Actors.Serialization;

namespace Host.Cluster;

/// <summary>Asks a host's <see cref="HostIdentity"/> for its name; answered with <see cref="HostIdentified"/>.</summary>
[Manifest("cluster.identify-host.v1")]
public sealed record IdentifyHost
{
    public static readonly IdentifyHost Instance = new();
}
