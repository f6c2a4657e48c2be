using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Actors.Config;
using Nodes.Nbd;
using Npgsql;
using Spectre.Console;

namespace Host.Demo.Cluster;

/// <summary>
/// The cluster demo: host processes h1..hN on loopback forming one Akka cluster, the graph's
/// journal in PostgreSQL, an image exported on h2 and one on h3 with NBD I/O against both, graph
/// changes over QMP through the singletons (<see cref="ClusterGraphScript"/>), and h1, the oldest
/// member, where the Coordinator and the graph's owner run, killed with <c>kill -9</c> mid-run.
/// Then every block is checked over NBD and in its image file, and the journal for every
/// deferred unref having closed its node exactly once. What goes wrong ends up in the report's
/// <see cref="DemoReport.Failure"/>; a missing PostgreSQL throws a <see cref="DemoSetupException"/>.
/// </summary>
public sealed class ClusterDemoScenario(DemoOptions options, IAnsiConsole console)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the deferred unrefs may still take once the I/O ended.</summary>
    private static readonly TimeSpan UnrefLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The failure detector's and the resolver's timing of docker-compose.yml, for a fast failover
    /// (hocon/reference.conf's defaults are more patient). The environment overrides them
    /// (<c>CONFIG_FORCE_</c>, as the tests do), since --set would win over it.
    /// </summary>
    private static readonly (string Variable, string Value)[] FastFailover =
    [
        ("CONFIG_FORCE_akka_cluster_failure__detector_heartbeat__interval", "500ms"),
        ("CONFIG_FORCE_akka_cluster_failure__detector_acceptable__heartbeat__pause", "1s"),
        ("CONFIG_FORCE_akka_cluster_split__brain__resolver_stable__after", "1s"),
        ("CONFIG_FORCE_akka_cluster_down__removal__margin", "300ms"),
    ];

    private readonly string[] _ioThreads = [.. Enumerable.Range(0, options.IoThreads).Select(i => $"io{i}")];

    /// <summary>Runs the whole scenario and cleans up after it (the hosts' dirs and the journal's schema stay with <c>--keep</c>; the dirs also when a check failed).</summary>
    public async Task<DemoReport> RunAsync()
    {
        var postgresConf = Path.Combine(AppContext.BaseDirectory, "hocon", "postgres.conf");
        var journal = await DemoJournal.CreateAsync(
            options.Postgres ?? Environment.GetEnvironmentVariable("ACTORS_POSTGRES") ?? Environment.GetEnvironmentVariable("ACTORS_TEST_POSTGRES"),
            ConfigFactory.ParseFile(postgresConf).WithFallback(ConfigFactory.Reference()).Resolve().GetString("akka.persistence.journal.sql.default.journal.table-name"));
        var root = Directory.CreateTempSubdirectory("actors-cluster-demo-").FullName;
        var hosts = new List<DemoHost>();
        var report = new DemoReport { Options = options };
        try
        {
            console.MarkupLineInterpolated($"Seed [bold]{options.Seed}[/] (replay with --seed {options.Seed}); hosts' dirs under {root}");
            console.MarkupLineInterpolated($"The graph's journal: PostgreSQL schema {journal.Schema}");
            await StartHostsAsync(hosts, root, postgresConf, journal);
            report = await RunOnClusterAsync(hosts, journal);
        }
        catch (Exception e) when (e is DemoCheckException or QmpCommandException or NbdClientException or TimeoutException or IOException or SocketException or NpgsqlException)
        {
            report = report with { Failure = e.Message };
        }
        finally
        {
            await Task.WhenAll(hosts.Select(h => h.StopAsync(StopTimeout)));
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
            if (options.Keep || !report.Passed)
            {
                console.MarkupLineInterpolated($"Kept the hosts' dirs (data, images, host.log): {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
            if (options.Keep)
            {
                console.MarkupLineInterpolated($"Kept the journal's schema: {journal.Schema}");
            }
            else
            {
                try
                {
                    await journal.DropAsync();
                }
                catch (NpgsqlException e)
                {
                    console.MarkupLineInterpolated($"Could not drop the journal's schema {journal.Schema}: {e.Message}");
                }
            }
        }
        return report;
    }

    /// <summary>Starts h1 (the seed, so the oldest member) and then each next one once the one before is up, so their age is their number.</summary>
    private async Task StartHostsAsync(List<DemoHost> hosts, string root, string postgresConf, DemoJournal journal)
    {
        var seedPort = DemoHost.FreePort();
        string[] settings =
        [
            "akka.actor.provider = cluster",
            "akka.remote.dot-netty.tcp.hostname = \"127.0.0.1\"",
            $"akka.cluster.seed-nodes = [\"akka.tcp://actors@127.0.0.1:{seedPort}\"]",
            // A JSON string is a HOCON quoted string: the connection string may hold any character.
            $"akka.persistence.journal.sql.connection-string = {JsonSerializer.Serialize(journal.HostConnectionString)}",
            $"host.iothreads = [{string.Join(", ", _ioThreads.Select(t => JsonSerializer.Serialize(t)))}]",
            "actors.graph-lock.debug-assertions = on",
        ];
        for (var i = 1; i <= options.Hosts; i++)
        {
            var port = i == 1 ? seedPort : DemoHost.FreePort();
            var host = await DemoHost.StartAsync($"h{i}", Path.Combine(root, $"h{i}"), port, postgresConf, settings, FastFailover, StartTimeout);
            hosts.Add(host);
            console.MarkupLineInterpolated($"Host {host.Name} up (pid {host.ProcessId}): cluster member at 127.0.0.1:{port}; QMP and NBD on qmp.sock and nbd.sock in {host.Directory}");
        }
    }

    private async Task<DemoReport> RunOnClusterAsync(IReadOnlyList<DemoHost> hosts, DemoJournal journal)
    {
        var blocks = options.Size / BlockPattern.BlockSize;
        await using var a = new DemoExport(hosts[1], 2, blocks, options);
        await using var b = new DemoExport(hosts[2], 3, blocks, options);
        DemoExport[] exports = [a, b];
        foreach (var export in exports)
        {
            await BuildAsync(hosts[0], export);
        }
        var baseline = await QueryCoordinatorAsync(hosts[1]);
        var script = new ClusterGraphScript(console, hosts[0], hosts[1], a, b, _ioThreads);
        var report = new DemoReport { Options = options, GraphChangesPlanned = script.Script.Changes };
        try
        {
            await RunIoAndGraphChangesAsync(exports, script.Script);
            foreach (var export in exports)
            {
                await export.Clients[0].FlushAsync();
            }
            var probes = await script.DeleteFailoverProbesAsync();
            console.MarkupLineInterpolated($"Deleted the {probes.Count} node(s) the failover tries added ({string.Join(", ", probes.Count > 3 ? [probes[0], "...", probes[^1]] : probes)}): deferred closes");
            await ClusterGraphScript.WaitUntilGoneAsync(hosts[1], script.Deleted, UnrefLimit);
            var verified = 0L;
            foreach (var export in exports)
            {
                verified += await ImageVerifier.VerifyAsync(export.Model, export.Clients[0], export.ImagePath, export.ImageName, export.Seed);
                console.MarkupLineInterpolated($"Verified {export.Model.Blocks} blocks of '{export.Node}' over NBD from {export.Host.Name} and in {export.ImageName}: every block holds what was last written to it.");
            }
            report = report with { BlocksVerified = verified };
        }
        catch (Exception e) when (e is NbdClientException or DemoCheckException)
        {
            report = report with { Failure = e.Message };
        }
        var unrefs = await journal.UnrefsAsync();
        CoordinatorStatus? after = null;
        try
        {
            after = await QueryCoordinatorAsync(hosts[1]);
        }
        catch (Exception e) when (e is TimeoutException or QmpCommandException or IOException or SocketException)
        {
            report = report with { Failure = report.Failure ?? $"x-query-graph-lock through {hosts[1].Name}: {e.Message}" };
        }
        var cluster = new ClusterFigures
        {
            Hosts = hosts.Count,
            KilledHost = hosts[0].Name,
            NextHost = hosts[1].Name,
            IoHosts = [.. exports.Select(e => e.Host.Name)],
            FailoverTime = script.FailoverTime,
            RequestsDuringFailover = script.RequestsDuringFailover,
            BeforeKill = script.BeforeKill is { } before ? before with { WriteSections = before.WriteSections - baseline.WriteSections } : null,
            AfterKill = after,
            UnrefsScheduled = unrefs.Values.Sum(u => u.Scheduled),
            UnrefsClosedOnce = unrefs.Values.Count(u => u is { Scheduled: 1, Closed: 1 }),
        };
        return report with
        {
            Reads = exports.Sum(e => e.Workload.Reads),
            Writes = exports.Sum(e => e.Workload.Writes),
            Flushes = exports.Sum(e => e.Workload.Flushes),
            Elapsed = exports.Max(e => e.Workload.Elapsed),
            GraphChanges = script.Script.ChangesDone,
            WriteSections = (cluster.BeforeKill?.WriteSections ?? 0) + (after?.WriteSections ?? 0),
            BlocksWritten = exports.Sum(e => e.Model.WrittenBlocks),
            Cluster = cluster,
            Failure = report.Failure ?? ClusterFailure(cluster, unrefs, script.Deleted),
        };
    }

    /// <summary>
    /// Creates the export's images on its host's disk and its nodes and export through the
    /// seed's QMP with <c>x-host</c> (QMP on any host reaches every node), then connects the I/O.
    /// </summary>
    private async Task BuildAsync(DemoHost via, DemoExport export)
    {
        foreach (var (path, size) in new[] { (export.ImagePath, options.Size), (export.SpareImagePath, 1L << 20) })
        {
            await using var image = File.Create(path);
            image.SetLength(size);
        }
        var host = export.Host.Name;
        await ClusterGraphScript.CommandAsync(via, "blockdev-add", new() { ["driver"] = "file", ["node-name"] = export.FileNode, ["filename"] = export.ImagePath, ["x-host"] = host });
        await ClusterGraphScript.CommandAsync(via, "blockdev-add", new() { ["driver"] = "raw", ["node-name"] = export.Node, ["file"] = export.FileNode });
        var served = await ClusterGraphScript.CommandAsync(via, "block-export-add", new() { ["type"] = "nbd", ["id"] = export.Node, ["node-name"] = export.Node, ["writable"] = true });
        if ((string?)served["x-host"] != host)
        {
            throw new DemoCheckException($"block-export-add of '{export.Node}' answered {served.ToJsonString()}: the export should be served by {host}, its node's host");
        }
        for (var c = 0; c < options.Connections; c++)
        {
            export.Clients.Add(await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(export.Host.NbdSocket), export.Node, options.Depth, CancellationToken.None));
        }
        console.MarkupLineInterpolated(
            $"{host}: {export.ImageName} ({options.Size >> 20} MiB) as raw over file, added through {via.Name}'s QMP with x-host {host}, exported as '{export.Node}' by {host}'s NBD server");
    }

    /// <summary>
    /// The I/O on both exports beside the script; whichever fails first stops the other. The I/O
    /// goes on until the duration passed and the script is done, so every change (the failover
    /// too) happens under I/O.
    /// </summary>
    private async Task RunIoAndGraphChangesAsync(IReadOnlyList<DemoExport> exports, GraphScript script)
    {
        using var stop = new CancellationTokenSource();
        using var endIo = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double Progress() => Math.Min(1, clock.Elapsed / options.Duration);
        async Task ScriptThenEndIoAsync()
        {
            await script.RunAsync(Progress, stop.Token);
            var left = options.Duration - clock.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, stop.Token);
            }
            await endIo.CancelAsync();
        }
        var running = Task.WhenAll(
            DemoProgress.StopOthersOnFailure(Task.WhenAll(exports.Select(e => e.Workload.RunAsync(e.Clients, endIo.Token))), stop),
            DemoProgress.StopOthersOnFailure(ScriptThenEndIoAsync(), stop));
        console.WriteLine($"I/O: {exports.Count} exports x {options.Connections} NBD connections x {options.Depth} in flight, {options.Duration.TotalSeconds:0.#} s and until every graph change is done");
        await DemoProgress.ShowLinesAsync(console, running, script, Progress, () => exports.Sum(e => e.Workload.Completed));
        await running;
    }

    private static async Task<CoordinatorStatus> QueryCoordinatorAsync(DemoHost via)
    {
        await using var qmp = await QmpClient.ConnectAsync(via.QmpSocket, TimeSpan.FromSeconds(40));
        return await CoordinatorStatus.QueryAsync(qmp);
    }

    /// <summary>The cluster's own checks: the failover came with I/O going on, no deferred unref failed, and each ran exactly once for exactly the nodes deleted.</summary>
    private static string? ClusterFailure(ClusterFigures cluster, IReadOnlyDictionary<string, (int Scheduled, int Closed)> unrefs, IReadOnlyList<string> deleted)
    {
        if (cluster.RequestsDuringFailover.FirstOrDefault(r => r.Value == 0) is { Key: { } stalled })
        {
            return $"the I/O on {stalled} stalled during the failover: no request completed between the kill and the next graph change";
        }
        var failed = (cluster.BeforeKill?.DeferredFailed ?? 0) + (cluster.AfterKill?.DeferredFailed ?? 0);
        if (failed > 0)
        {
            return $"{failed} deferred unref(s) failed (see the hosts' logs)";
        }
        var wrong = deleted.Union(unrefs.Keys)
            .Select(node => (node, counts: unrefs.GetValueOrDefault(node), wasDeleted: deleted.Contains(node)))
            .Where(n => !n.wasDeleted || n.counts is not { Scheduled: 1, Closed: 1 })
            .Select(n => $"'{n.node}' ({(n.wasDeleted ? "deleted" : "never deleted")}): {n.counts.Scheduled} unref(s) scheduled, {n.counts.Closed} close(s) in the journal")
            .ToList();
        return wrong.Count > 0 ? $"deferred unrefs not run exactly once: {string.Join("; ", wrong)}" : null;
    }
}
