using System.Collections.Immutable;

namespace Host.Cluster;

/// <summary>One member of the cluster as a host sees it (an entry of <c>x-query-cluster</c>).</summary>
/// <param name="Host">The member's <c>actors.host</c>; its address when it did not answer in time.</param>
/// <param name="Address">Its Akka address, <c>akka.tcp://actors@HOST:PORT</c>.</param>
/// <param name="Status">Akka's member status in lower case: <c>joining</c>, <c>up</c>, <c>leaving</c>, <c>exiting</c>, <c>down</c>, <c>removed</c>, <c>weakly-up</c>.</param>
/// <param name="Roles">Its roles (<c>akka.cluster.roles</c>), sorted.</param>
/// <param name="Reachable">False while the failure detector of some member finds it unreachable.</param>
/// <param name="NbdServer">Where its NBD server listens (it serves the exports of its nodes); null when it runs none, or did not answer.</param>
public sealed record ClusterMember(string Host, string Address, string Status, ImmutableArray<string> Roles, bool Reachable, string? NbdServer = null);
