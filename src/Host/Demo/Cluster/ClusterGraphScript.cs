using System.Collections.Immutable;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Host.Demo.Cluster;

/// <summary>
/// The cluster demo's graph changes, each a QMP command to the host of the node it changes, so
/// each goes through the graph's owner and the Coordinator, the singletons on the oldest host:
/// <code>
///   h2: export ─→ disk2 (raw) ─file→ disk2-file        h3: export ─→ disk3 (raw) ─file→ disk3-file
///    1. h2: insert throttle2 below disk2            disk2 ─file→ throttle2 ─file→ disk2-file
///    2. h3: move disk3 (and all attached) to the last IoThread
///    3. h2: add spare2 (file: spare2.raw)
///    4. h2: remove throttle2                        its close is a deferred unref
///    5. h3: add slow3, a blkdebug over null3 whose close takes 1 s
///    6. h3: delete slow3, and while its close runs kill -9 h1, the singletons' host; then add
///           failover-N through h3 until one completes: the singletons run on h2 now, and the
///           owner found slow3's unref pending and runs it again
///    7. h3: insert throttle3 below disk3
///    8. h3: move disk3 (with throttle3) back to the first IoThread
///    9. h3: remove throttle3                        deferred unref
///   10. h2: delete spare2                           deferred unref
///   11. h3: delete null3 once slow3 is closed       deferred unref
/// </code>
/// </summary>
public sealed class ClusterGraphScript
{
    /// <summary>How long a graph command may take: longer than the host's own 30 s bound, so its answer arrives first.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(40);

    /// <summary>
    /// How long slow3's close takes: long enough to still run when h1 is killed moments after it
    /// started; short, since the next owner runs it again before it takes a command.
    /// </summary>
    private const long CloseDelayMicros = 1_000_000;

    /// <summary>After the kill a new try starts this often: the failover time is known to this precision.</summary>
    private static readonly TimeSpan FailoverTryInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one failover try waits for its answer: a try sent to the dead host gets none.</summary>
    private static readonly TimeSpan FailoverTryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the failover may take before the demo calls it failed (the resolver downs h1 in a few seconds).</summary>
    private static readonly TimeSpan FailoverLimit = TimeSpan.FromSeconds(60);

    /// <summary>The name of the nodes the failover tries add, before their number.</summary>
    private const string FailoverProbe = "failover-";

    private readonly IAnsiConsole _console;
    private readonly DemoHost _killed;
    private readonly DemoHost _next;
    private readonly DemoExport _a;
    private readonly DemoExport _b;
    private readonly List<string> _deleted = [];

    /// <param name="console">Where the kill and the failover are reported as they happen.</param>
    /// <param name="killed">The Coordinator's host (the oldest member), killed in step 6.</param>
    /// <param name="next">The next oldest member, where the singletons move.</param>
    /// <param name="a">The export whose host is <paramref name="next"/> (h2).</param>
    /// <param name="b">The other export (h3), whose host's QMP the failover is tried through.</param>
    /// <param name="ioThreads">The hosts' IoThreads.</param>
    public ClusterGraphScript(IAnsiConsole console, DemoHost killed, DemoHost next, DemoExport a, DemoExport b, IReadOnlyList<string> ioThreads)
    {
        _console = console;
        _killed = killed;
        _next = next;
        _a = a;
        _b = b;
        var (first, last) = (ioThreads[0], ioThreads[^1]);
        var (ha, hb) = (a.Host.Name, b.Host.Name);
        Script = new GraphScript(
        [
            new($"{ha}: insert throttle filter 'throttle2' below '{a.Node}' (blockdev-add, blockdev-reopen)", 2, () => InsertThrottleAsync(a, "throttle2")),
            new($"{hb}: move '{b.Node}' and the nodes attached to it to {last}", 1, () => MoveAsync(b, last)),
            new($"{ha}: add 'spare2' on {a.SpareImageName}", 1, () => CommandAsync(a.Host, "blockdev-add", new() { ["driver"] = "file", ["node-name"] = "spare2", ["filename"] = a.SpareImagePath })),
            new($"{ha}: remove throttle filter 'throttle2' (blockdev-reopen, blockdev-del: deferred close)", 2, () => RemoveThrottleAsync(a, "throttle2")),
            new($"{hb}: add 'slow3', a blkdebug over 'null3' whose close takes {CloseDelayMicros / 1e6:0} s", 2, AddSlowNodeAsync),
            new($"{hb}: delete 'slow3' (its close runs), kill -9 {killed.Name}, then add 'failover-N' through {hb} until one completes", 2, DeleteSlowNodeAndKillAsync),
            new($"{hb}: insert throttle filter 'throttle3' below '{b.Node}'", 2, () => InsertThrottleAsync(b, "throttle3")),
            new($"{hb}: move '{b.Node}' and the nodes attached to it back to {first}", 1, () => MoveAsync(b, first)),
            new($"{hb}: remove throttle filter 'throttle3' (deferred close)", 2, () => RemoveThrottleAsync(b, "throttle3")),
            new($"{ha}: delete 'spare2' (deferred close)", 1, () => DeleteAsync(a.Host, "spare2")),
            new($"{hb}: delete 'null3' once 'slow3' is closed (deferred close)", 1, DeleteNullNodeAsync),
        ]);
    }

    /// <summary>The steps, paced by the I/O's progress.</summary>
    public GraphScript Script { get; }

    /// <summary>The nodes the script deleted: each has exactly one deferred unref to run.</summary>
    public IReadOnlyList<string> Deleted => _deleted;

    /// <summary>From the kill to the first graph change completed after it; null until then.</summary>
    public TimeSpan? FailoverTime { get; private set; }

    /// <summary>I/O requests completed on each export's host between the kill and the end of the failover.</summary>
    public ImmutableSortedDictionary<string, long> RequestsDuringFailover { get; private set; } = ImmutableSortedDictionary<string, long>.Empty;

    /// <summary>The killed host's Coordinator, read right before the kill.</summary>
    public CoordinatorStatus? BeforeKill { get; private set; }

    /// <summary>Runs <paramref name="command"/> on a fresh QMP session with <paramref name="host"/>.</summary>
    public static async Task<JsonNode> CommandAsync(DemoHost host, string command, JsonObject? arguments = null)
    {
        await using var qmp = await QmpClient.ConnectAsync(host.QmpSocket, CommandTimeout);
        return await qmp.ExecuteAsync(command, arguments);
    }

    /// <summary>QEMU's way: the filter is added over the node's file child, then the node's file is pointed at it.</summary>
    private async Task InsertThrottleAsync(DemoExport export, string filter)
    {
        await CommandAsync(export.Host, "blockdev-add", new() { ["driver"] = "throttle", ["node-name"] = filter, ["file"] = export.FileNode, ["iops-total"] = 100_000 });
        await ReopenFileAsync(export, filter);
    }

    private async Task RemoveThrottleAsync(DemoExport export, string filter)
    {
        await ReopenFileAsync(export, export.FileNode);
        await DeleteAsync(export.Host, filter);
    }

    private static Task ReopenFileAsync(DemoExport export, string file) =>
        CommandAsync(export.Host, "blockdev-reopen", new()
        {
            ["options"] = new JsonArray(new JsonObject { ["node-name"] = export.Node, ["driver"] = "raw", ["file"] = file }),
        });

    private static Task MoveAsync(DemoExport export, string ioThread) =>
        CommandAsync(export.Host, "x-blockdev-set-iothread", new() { ["node-name"] = export.Node, ["iothread"] = ioThread });

    private async Task DeleteAsync(DemoHost host, string node)
    {
        await CommandAsync(host, "blockdev-del", new() { ["node-name"] = node });
        _deleted.Add(node);
    }

    private async Task AddSlowNodeAsync()
    {
        await CommandAsync(_b.Host, "blockdev-add", new() { ["driver"] = "null-co", ["node-name"] = "null3", ["size"] = 1 << 20 });
        await CommandAsync(_b.Host, "blockdev-add", new() { ["driver"] = "blkdebug", ["node-name"] = "slow3", ["file"] = "null3", ["close-delay-us"] = CloseDelayMicros });
    }

    /// <summary>
    /// The kill lands while slow3's deferred close runs: the killed owner never records it, so the
    /// next one finds it pending and runs it. The failover is timed from the kill to the first
    /// graph change completed after it, tried through a host that survives.
    /// </summary>
    private async Task DeleteSlowNodeAndKillAsync()
    {
        await DeleteAsync(_b.Host, "slow3");
        await using (var qmp = await QmpClient.ConnectAsync(_next.QmpSocket, CommandTimeout))
        {
            BeforeKill = await CoordinatorStatus.QueryAsync(qmp);
        }
        var exports = new[] { _a, _b };
        var atKill = exports.Select(e => e.Workload.Completed).ToArray();
        var clock = Stopwatch.StartNew();
        _killed.KillAbruptly();
        _console.WriteLine($"  kill -9 {_killed.Name} (pid {_killed.ProcessId}): the oldest member, where the Coordinator and the graph's owner run");
        var added = await FirstGraphChangeAfterKillAsync(_b.Host);
        FailoverTime = clock.Elapsed;
        RequestsDuringFailover = exports.Select((e, i) => (e.Host.Name, e.Workload.Completed - atKill[i])).ToImmutableSortedDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
        _console.WriteLine(
            $"  failover: '{added}' added through {_b.Host.Name} {FailoverTime.Value.TotalSeconds:0.00} s after the kill; I/O meanwhile: " +
            string.Join(", ", RequestsDuringFailover.Select(r => $"{r.Key} {r.Value} requests")));
    }

    /// <summary>
    /// Until the resolver downs the killed host, the proxies still send to it and a try gets no
    /// answer; so a try starts every <see cref="FailoverTryInterval"/> on a fresh session, each
    /// adding a node of its own name (a try that got no answer may still complete later), and the
    /// first to complete ends the failover.
    /// </summary>
    private async Task<string> FirstGraphChangeAfterKillAsync(DemoHost via)
    {
        var completed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var tries = new List<Task>();
        var lastError = "no answer";
        var clock = Stopwatch.StartNew();
        while (!completed.Task.IsCompleted && clock.Elapsed < FailoverLimit)
        {
            var node = $"{FailoverProbe}{tries.Count + 1}";
            tries.Add(TryAsync(node));
            await Task.WhenAny(completed.Task, Task.Delay(FailoverTryInterval));
        }
        await stop.CancelAsync();
        await Task.WhenAll(tries);
        return completed.Task.IsCompleted
            ? await completed.Task
            : throw new DemoCheckException($"no graph change completed within {FailoverLimit.TotalSeconds:0} s of the kill ({tries.Count} tries through {via.Name}; the last: {lastError})");

        async Task TryAsync(string node)
        {
            try
            {
                await using var qmp = await QmpClient.ConnectAsync(via.QmpSocket, FailoverTryTimeout);
                await qmp.ExecuteAsync("blockdev-add", new() { ["driver"] = "null-co", ["node-name"] = node }).WaitAsync(stop.Token);
                completed.TrySetResult(node);
            }
            catch (Exception e) when (e is TimeoutException or QmpCommandException or IOException or SocketException or OperationCanceledException)
            {
                lastError = e.Message;
            }
        }
    }

    /// <summary>
    /// Deletes the nodes the failover tries added: the one that ended the failover, and those
    /// that waited for the singletons with it (the tries sent to the dead host never ran).
    /// Run once the I/O ended, long after the failover, when no try is left running.
    /// </summary>
    public async Task<IReadOnlyList<string>> DeleteFailoverProbesAsync()
    {
        var nodes = (await CommandAsync(_b.Host, "query-named-block-nodes")).AsArray()
            .Select(n => (string)n!["node-name"]!)
            .Where(n => n.StartsWith(FailoverProbe, StringComparison.Ordinal))
            .ToList();
        foreach (var node in nodes)
        {
            await DeleteAsync(_b.Host, node);
        }
        return nodes;
    }

    /// <summary>null3 is slow3's child until slow3's close (run again by the next owner) removed it: the delete waits for that.</summary>
    private async Task DeleteNullNodeAsync()
    {
        await WaitUntilGoneAsync(_b.Host, ["slow3"], TimeSpan.FromSeconds(60));
        await DeleteAsync(_b.Host, "null3");
    }

    /// <summary>
    /// Waits until none of <paramref name="nodes"/> is in the graph any more: a deleted node
    /// stays listed until its deferred close ran, and QMP has no event for that, so the list is
    /// polled.
    /// </summary>
    public static async Task WaitUntilGoneAsync(DemoHost via, IReadOnlyCollection<string> nodes, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var listed = (await CommandAsync(via, "query-named-block-nodes")).AsArray().Select(n => (string)n!["node-name"]!);
            var left = listed.Intersect(nodes).ToList();
            if (left.Count == 0)
            {
                return;
            }
            if (clock.Elapsed > limit)
            {
                throw new DemoCheckException($"deferred unref(s) of {string.Join(", ", left.Select(n => $"'{n}'"))} still pending {limit.TotalSeconds:0} s later");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
