using System.Text.Json.Nodes;
using Actors.GraphLock;

namespace Host.Demo.Cluster;

/// <summary>
/// A Coordinator's figures as QMP <c>x-query-graph-lock</c> reports them: write sections run,
/// how long writers waited for readers, deferred unrefs run and failed. They count from the
/// Coordinator's start, so a failover starts them again on the next host.
/// </summary>
public sealed record CoordinatorStatus(long WriteSections, LatencySummary WriteWait, long DeferredRun, long DeferredFailed)
{
    /// <summary>Asks the Coordinator, wherever it runs, through <paramref name="qmp"/>'s host.</summary>
    public static async Task<CoordinatorStatus> QueryAsync(QmpClient qmp)
    {
        var status = await qmp.ExecuteAsync("x-query-graph-lock");
        var wait = status["write-wait"]!;
        return new CoordinatorStatus(
            (long)status["writes-done"]!,
            new LatencySummary((long)wait["count"]!, (double)wait["p50-us"]!, (double)wait["p99-us"]!, (double)wait["max-us"]!),
            (long)status["deferred-actions-run"]!,
            (long)status["deferred-actions-failed"]!);
    }
}
