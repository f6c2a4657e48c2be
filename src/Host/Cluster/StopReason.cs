using Akka.Actor;

namespace Host.Cluster;

/// <summary>
/// Why a host's actor system stopped when nothing on the host asked it to: the line the host
/// exits with. Akka runs its coordinated shutdown when the cluster downs the host (the
/// split-brain resolver put it on the losing side, or an operator downed it), when it leaves, or
/// when remoting cannot build a TLS connection to a peer; the host does when another member
/// quarantined it (<see cref="QuarantineWatch"/>).
/// </summary>
public static class StopReason
{
    /// <summary>One line for <paramref name="reason"/> (Akka's <see cref="CoordinatedShutdown.ShutdownReason"/>).</summary>
    public static string Describe(string host, CoordinatedShutdown.Reason? reason) => reason switch
    {
        QuarantineWatch.Quarantined q => $"host {host} was quarantined by {q.By}: the cluster removed it while it did not answer, and only a restart can join again; stopping",
        CoordinatedShutdown.ClusterDowningReason => $"host {host} was downed: the cluster removed it (the split-brain resolver found it on the losing side of a partition, or an operator downed it); stopping",
        CoordinatedShutdown.ClusterLeavingReason => $"host {host} left the cluster; stopping",
        CoordinatedShutdown.ClusterJoinUnsuccessfulReason => $"host {host} could not join the cluster (akka.cluster.shutdown-after-unsuccessful-join-seed-nodes); stopping",
        null => $"host {host}: the actor system stopped; stopping",
        _ => $"host {host}: the actor system stopped: {reason}; stopping",
    };
}
