using Actors.GraphLock;

namespace Host.Demo;

/// <summary>What a demo run did and found; <see cref="Failure"/> is null when every check held.</summary>
public sealed record DemoReport
{
    public required DemoOptions Options { get; init; }

    public long Reads { get; init; }

    public long Writes { get; init; }

    public long Flushes { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Graph commands completed, and how many the script has.</summary>
    public int GraphChanges { get; init; }

    public int GraphChangesPlanned { get; init; }

    /// <summary>Coordinator write sections run by the host (graph changes and setup; closes are recorded after unlock, in none).</summary>
    public long WriteSections { get; init; }

    /// <summary>How long writers waited for the readers to leave (from the Coordinator).</summary>
    public LatencySummary? WriteWait { get; init; }

    /// <summary>Each phase of the write sections, and the reader the longest drain waited for (from the Coordinator).</summary>
    public WritePhases? WritePhases { get; init; }

    /// <summary>Requests that arrived during a write section and were parked, summed over the IoThreads.</summary>
    public long ReadersParked { get; init; }

    /// <summary>Deferred unrefs (node closes after write-unlock) that ran, and that failed.</summary>
    public long DeferredUnrefsRun { get; init; }

    public long DeferredUnrefsFailed { get; init; }

    /// <summary>Blocks written at least once, and blocks verified (over NBD and in the file).</summary>
    public long BlocksWritten { get; init; }

    public long BlocksVerified { get; init; }

    /// <summary>The cluster demo's own figures (hosts, failover, each Coordinator's, the journal's unrefs); null for the single-host demo.</summary>
    public Cluster.ClusterFigures? Cluster { get; init; }

    /// <summary>What was off, in words naming the block, the request or the graph change; null when all checks passed.</summary>
    public string? Failure { get; init; }

    public bool Passed => Failure is null;

    public long Requests => Reads + Writes + Flushes;

    public double Iops => Elapsed > TimeSpan.Zero ? Requests / Elapsed.TotalSeconds : 0;

    /// <summary>Data moved by reads and writes, in MiB/s.</summary>
    public double MibPerSecond => Elapsed > TimeSpan.Zero ? (Reads + Writes) * (double)BlockPattern.BlockSize / (1 << 20) / Elapsed.TotalSeconds : 0;
}
