using Actors.Serialization;

namespace Host.Cluster;

/// <summary>A host's answer to <see cref="IdentifyHost"/>: its name (<c>actors.host</c>) and where its NBD server listens, if it runs one.</summary>
[Manifest("cluster.host-identified.v2")]
public sealed record HostIdentified(string Host, string? NbdServer);
