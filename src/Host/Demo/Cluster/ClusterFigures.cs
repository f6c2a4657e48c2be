using System.Collections.Immutable;

namespace Host.Demo.Cluster;

/// <summary>What the cluster demo adds to its <see cref="DemoReport"/>.</summary>
public sealed record ClusterFigures
{
    /// <summary>Host processes started.</summary>
    public required int Hosts { get; init; }

    /// <summary>The host killed: the oldest member, where the Coordinator and the graph's owner ran.</summary>
    public required string KilledHost { get; init; }

    /// <summary>The next oldest member, where the singletons run after the failover.</summary>
    public required string NextHost { get; init; }

    /// <summary>The hosts of the exports the I/O runs against.</summary>
    public required ImmutableArray<string> IoHosts { get; init; }

    /// <summary>From the kill to the first graph change completed after it; null when it never came.</summary>
    public TimeSpan? FailoverTime { get; init; }

    /// <summary>I/O requests each export's host completed during the failover.</summary>
    public ImmutableSortedDictionary<string, long> RequestsDuringFailover { get; init; } = ImmutableSortedDictionary<string, long>.Empty;

    /// <summary>The killed host's Coordinator right before the kill, and the next host's at the end.</summary>
    public CoordinatorStatus? BeforeKill { get; init; }

    public CoordinatorStatus? AfterKill { get; init; }

    /// <summary>Deferred unrefs the journal holds, and how many of their nodes it shows closed exactly once.</summary>
    public int UnrefsScheduled { get; init; }

    public int UnrefsClosedOnce { get; init; }
}
