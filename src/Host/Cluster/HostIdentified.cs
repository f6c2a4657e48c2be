using Actors.Serialization;

namespace Host.Cluster;

/// <summary>A host's answer to <see cref="IdentifyHost"/>: its name (<c>actors.host</c>).</summary>
[Manifest("cluster.host-identified.v1")]
public sealed record HostIdentified(string Host);
