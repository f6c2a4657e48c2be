using System.Net.Sockets;
using Actors.Config;
using Akka.Actor;
using Nodes.Nbd;
using Nodes.Runtime;
using Actors.GraphLock;
using Actors.IoThreads;
using Host.Hosting;
using Host.Nbd;
using Spectre.Console;

namespace Host.Demo;

/// <summary>
/// The demo's script: a storage host on a temporary data dir, its NBD server on a Unix socket,
/// I/O from several NBD connections with a model of what each block must hold, graph changes
/// through the Coordinator while the I/O runs, then every block checked over NBD and in the
/// image file. What goes wrong ends up in the report's <see cref="DemoReport.Failure"/>.
/// </summary>
public sealed class DemoScenario
{
    private readonly DemoOptions _options;
    private readonly IAnsiConsole _console;
    private readonly DemoHooks _hooks;
    private readonly string[] _ioThreads;

    public DemoScenario(DemoOptions options, IAnsiConsole console, DemoHooks hooks)
    {
        _options = options;
        _console = console;
        _hooks = hooks;
        _ioThreads = [.. Enumerable.Range(0, options.IoThreads).Select(i => $"io{i}")];
    }

    /// <summary>Runs the whole scenario and cleans up after it (the data dir stays with <c>--keep</c>).</summary>
    public async Task<DemoReport> RunAsync()
    {
        var dataDir = Directory.CreateTempSubdirectory("actors-demo-").FullName;
        try
        {
            var config = ConfigFactory.ParseString($$"""
                host.data-dir = "{{dataDir}}"
                actors.graph-lock.debug-assertions = on
                """).WithFallback(ConfigFactory.Reference()).Resolve();
            var imagesDir = Path.Combine(dataDir, "images");
            await using var host = await StorageHost.StartAsync(config, new StorageHostOptions(dataDir, imagesDir, _ioThreads));
            await DemoGraph.BuildAsync(host, _options.Size, _ioThreads[0]);
            var server = new NbdServer(host.Runtime);
            await server.StartAsync(new UnixDomainSocketEndPoint(Path.Combine(dataDir, "nbd.sock")));
            try
            {
                _console.MarkupLineInterpolated($"Seed [bold]{_options.Seed}[/] (replay with --seed {_options.Seed}); data dir {dataDir}");
                _console.MarkupLineInterpolated(
                    $"Host up: IoThreads {string.Join(", ", _ioThreads)}; {DemoGraph.Image} ({_options.Size >> 20} MiB) as raw over file, exported as '{DemoGraph.Export}' over NBD on {server.LocalEndPoint}");
                return await RunOnHostAsync(host, server, imagesDir);
            }
            finally
            {
                await server.StopAsync();
            }
        }
        finally
        {
            if (_options.Keep)
            {
                _console.MarkupLineInterpolated($"Kept the data dir: {dataDir}");
            }
            else
            {
                Directory.Delete(dataDir, recursive: true);
            }
        }
    }

    private async Task<DemoReport> RunOnHostAsync(StorageHost host, NbdServer server, string imagesDir)
    {
        var before = await host.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, DemoGraph.Timeout);
        var model = new BlockModel(_options.Size / BlockPattern.BlockSize);
        var workload = new IoWorkload(model, _options);
        var script = GraphScript.ForHost(host, _ioThreads[0], _ioThreads[^1]);
        var report = new DemoReport { Options = _options, GraphChangesPlanned = script.Changes };
        var clients = new List<NbdClient>();
        try
        {
            for (var c = 0; c < _options.Connections; c++)
            {
                clients.Add(await NbdClient.ConnectAsync(server.LocalEndPoint!, DemoGraph.Export, _options.Depth, CancellationToken.None));
            }
            await RunIoAndGraphChangesAsync(workload, script, clients);
            // The graph's owner answers a query only after the deferred closes before it ran, so
            // once this answer arrives every close the script caused has run and is counted.
            await host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, DemoGraph.Timeout);
            await clients[0].FlushAsync();
            var image = Path.Combine(imagesDir, DemoGraph.Image);
            if (_hooks.BeforeVerification is { } hook)
            {
                await hook(image);
            }
            var verified = await ImageVerifier.VerifyAsync(model, clients[0], image, DemoGraph.Image, _options.Seed);
            _console.MarkupLineInterpolated($"Verified {model.Blocks} blocks over NBD and in {DemoGraph.Image}: every block holds what was last written to it.");
            report = report with { BlocksVerified = verified };
        }
        catch (Exception e) when (e is NbdClientException or DemoCheckException)
        {
            report = report with { Failure = e.Message };
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
        // The latencies of the script's writes only: the setup's (the first of a new host's) are not the workload's.
        var after = await host.Coordinator.Ask<GraphLockStatus>(new QueryGraphLock { Since = before }, DemoGraph.Timeout);
        var parked = 0L;
        foreach (var io in _ioThreads)
        {
            parked += (await host.IoThreadStatusAsync(io, DemoGraph.Timeout)).ParkedTotal;
        }
        return report with
        {
            Reads = workload.Reads,
            Writes = workload.Writes,
            Flushes = workload.Flushes,
            Elapsed = workload.Elapsed,
            GraphChanges = script.ChangesDone,
            WriteSections = after.WritesDone - before.WritesDone,
            WriteWait = after.WriteWait,
            WritePhases = after.Phases,
            ReadersParked = parked,
            DeferredUnrefsRun = after.DeferredActionsRun - before.DeferredActionsRun,
            DeferredUnrefsFailed = after.DeferredActionsFailed - before.DeferredActionsFailed,
            BlocksWritten = model.WrittenBlocks,
            Failure = report.Failure ?? (after.DeferredActionsFailed > before.DeferredActionsFailed
                ? $"{after.DeferredActionsFailed - before.DeferredActionsFailed} deferred unref(s) failed (see the host's log)"
                : null),
        };
    }

    /// <summary>
    /// The I/O and the graph script side by side. Whichever fails first stops the other: a failed
    /// change cancels the I/O, failed I/O cancels the script. On a terminal a progress task per
    /// step; otherwise (CI, a pipe) a plain line per step done and per quarter of the I/O.
    /// </summary>
    private async Task RunIoAndGraphChangesAsync(IoWorkload workload, GraphScript script, IReadOnlyList<NbdClient> clients)
    {
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(
            DemoProgress.StopOthersOnFailure(workload.RunAsync(clients, stop.Token), stop),
            DemoProgress.StopOthersOnFailure(script.RunAsync(() => workload.Progress, stop.Token), stop));
        var budget = _options.Requests is { } requests ? $"{requests} requests" : $"{_options.Duration.TotalSeconds:0.#} s";
        var ioName = $"I/O: {_options.Connections} NBD connections x {_options.Depth} in flight, {budget}";
        if (_console.Profile.Capabilities.Interactive)
        {
            await _console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                .StartAsync(context =>
                {
                    var io = context.AddTask(Markup.Escape(ioName), maxValue: 1);
                    var steps = script.Steps.Select(s => context.AddTask(Markup.Escape(s), maxValue: 1)).ToArray();
                    return DemoProgress.WatchAsync(running, () =>
                    {
                        io.Value = workload.Progress;
                        for (var i = 0; i < steps.Length; i++)
                        {
                            steps[i].Value = i < script.StepsDone ? 1 : 0;
                        }
                    });
                });
        }
        else
        {
            _console.WriteLine(ioName);
            await DemoProgress.ShowLinesAsync(_console, running, script, () => workload.Progress, () => workload.Completed);
        }
        await running;
    }
}
