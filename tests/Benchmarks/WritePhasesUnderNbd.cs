using System.Collections.Immutable;
using System.Diagnostics;
using System.Net.Sockets;
using Actors.Config;
using Actors.GraphLock;
using Akka.Actor;
using Host.Hosting;
using Host.Nbd;
using Nodes.Commands;
using Nodes.Nbd;
using Nodes.Runtime;

namespace Benchmarks;

/// <summary>
/// Write sections of a real host under NBD load, phase by phase (<c>dotnet run -c Release
/// --project tests/Benchmarks -- writer-latency nbd</c>): a storage host with 2 or 8 IoThreads,
/// one export per IoThread (null-co; raw over a file; raw over a file under a throttle filter),
/// <see cref="Connections"/> NBD connections per export each keeping <see cref="Depth"/> 4 KiB
/// requests in flight (reads, writes, now and then a flush, as the demo's), while the graph's
/// owner runs <see cref="Changes"/> graph changes one after another (a null-co node added, then
/// deleted: its close is deferred work). Printed: the writers' wait (request → grant) measured by
/// the owner, and each phase as the Coordinator timed it.
/// </summary>
/// <remarks>
/// The Coordinator's figures are of the measured changes only (asked since the graph was built).
/// The clients run in the same process, so on a 2-core machine the host, its clients and the
/// writer share two cores.
/// </remarks>
internal static class WritePhasesUnderNbd
{
    private const int Changes = 200;
    private const int Connections = 2;
    private const int Depth = 8;
    private const int BlockSize = 4096;
    private const long ImageSize = 64 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(2);

    private static readonly string[] Backends = ["null-co", "raw file", "raw file + throttle"];

    public static int Run(IReadOnlyList<string> args)
    {
        var ioThreadCounts = args.Count > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : [2, 8];
        var backends = args.Count > 1 ? args[1].Split(',').Select(b => Backends[int.Parse(b)]).ToArray() : Backends;
        Console.WriteLine($"Write phases under NBD load: {Changes} graph changes (add, then delete with a deferred close, a null-co node) one after another, {Pause.TotalMilliseconds} ms apart; per IoThread one export with {Connections} connections x {Depth} requests of 4 KiB in flight.");
        Console.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}. Times in µs, p50 / p99 / max; load = 1-minute load average when the run ended.");
        Console.WriteLine();
        Console.WriteLine("| IoThreads | backend | write wait | queued | stop | drain | section | unlock | deferred | slowest drain waited for | requests/s | load |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var ioThreads in ioThreadCounts)
        {
            foreach (var backend in backends)
            {
                MeasureAsync(ioThreads, backend).GetAwaiter().GetResult();
            }
        }
        return 0;
    }

    private static async Task MeasureAsync(int ioThreadCount, string backend)
    {
        var dataDir = Directory.CreateTempSubdirectory("actors-write-phases-").FullName;
        try
        {
            var config = ConfigFactory.ParseString($"""host.data-dir = "{dataDir}" """).WithFallback(ConfigFactory.Reference()).Resolve();
            var ioThreads = Enumerable.Range(0, ioThreadCount).Select(i => $"io{i}").ToArray();
            await using var host = await StorageHost.StartAsync(config, new StorageHostOptions(dataDir, dataDir, ioThreads));
            var exports = new List<string>();
            foreach (var io in ioThreads)
            {
                exports.Add(await BuildAsync(host, io, backend));
            }
            await using var server = new NbdServer(host.Runtime);
            await server.StartAsync(new UnixDomainSocketEndPoint(Path.Combine(dataDir, "nbd.sock")));
            var clients = new List<NbdClient>();
            foreach (var export in exports)
            {
                for (var c = 0; c < Connections; c++)
                {
                    clients.Add(await NbdClient.ConnectAsync(server.LocalEndPoint!, export, Depth, CancellationToken.None));
                }
            }
            using var stop = new CancellationTokenSource();
            long requests = 0;
            var load = Task.WhenAll(clients.SelectMany((client, c) => Enumerable.Range(0, Depth).Select(slot => Task.Run(async () =>
            {
                var random = new Random((c * Depth) + slot);
                var buffer = new byte[BlockSize];
                while (!stop.IsCancellationRequested)
                {
                    var choice = random.Next(100);
                    var offset = random.NextInt64(ImageSize / BlockSize) * BlockSize;
                    await (choice >= 98 ? client.FlushAsync() : choice < 50 ? client.WriteAsync(offset, buffer) : client.ReadAsync(offset, buffer));
                    Interlocked.Increment(ref requests);
                }
            }))));

            var before = await host.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
            var waited = new double[Changes];
            var clock = Stopwatch.StartNew();
            var requestsBefore = Interlocked.Read(ref requests);
            for (var i = 0; i < Changes; i++)
            {
                IGraphCommand change = i % 2 == 0
                    ? new AddNode("spare", "null-co", ImmutableSortedDictionary<string, string>.Empty, host.Runtime.Host, ioThreads[0], ImmutableSortedDictionary<string, string>.Empty)
                    : new DeleteNode("spare");
                waited[i] = (await host.Graph.Ask<WriteCompleted>(change, Timeout)).Waited.TotalMicroseconds;
                await Task.Delay(Pause);
            }
            var rate = (Interlocked.Read(ref requests) - requestsBefore) / clock.Elapsed.TotalSeconds;
            // The owner answers a query once the last delete's deferred close ran: it is counted.
            await host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
            var status = await host.Coordinator.Ask<GraphLockStatus>(new QueryGraphLock { Since = before }, Timeout);
            await stop.CancelAsync();
            await load;
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
            await server.StopAsync();

            var phases = status.Phases;
            Console.WriteLine(
                $"| {ioThreadCount} | {backend} | {Summary(waited)} | {Summary(phases.Queued)} | {Summary(phases.Stop)} | {Summary(phases.Drain)} " +
                $"| {Summary(phases.Section)} | {Summary(phases.Unlock)} | {Summary(phases.Deferred)} " +
                $"| {(phases.SlowestDrain is { } slowest ? $"{slowest.LastReader?.ToString() ?? "none"}, {slowest.DrainMicros:F0}" : "-")} | {rate:N0} | {WriterLatency.LoadAverage()} |");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Adds the export's nodes on <paramref name="io"/> and returns the export's name.</summary>
    private static async Task<string> BuildAsync(StorageHost host, string io, string backend)
    {
        var none = ImmutableSortedDictionary<string, string>.Empty;
        Task Run(IGraphCommand command) => host.Graph.Ask<WriteCompleted>(command, Timeout);
        var top = "disk-" + io;
        if (backend == "null-co")
        {
            await Run(new AddNode(top, "null-co", none.Add("size", ImageSize.ToString()), host.Runtime.Host, io, none));
        }
        else
        {
            host.Disk.Create($"{io}.raw", ImageSize);
            await Run(new AddNode("file-" + io, "file", none.Add("filename", $"{io}.raw"), host.Runtime.Host, io, none));
            await Run(new AddNode(top, "raw", none, host.Runtime.Host, io, none.Add("file", "file-" + io)));
        }
        await Run(new AddExport(top, top, top, Writable: true));
        if (backend.EndsWith("throttle", StringComparison.Ordinal))
        {
            // Below what the clients ask for: requests queue in the filter.
            await Run(new InsertFilter("throttle-" + io, "throttle", none.Add("iops-total", "2000"), top));
        }
        return top;
    }

    private static string Summary(double[] micros)
    {
        return $"{WriterLatency.P(micros, 0.50):F0} / {WriterLatency.P(micros, 0.99):F0} / {micros.Max():F0}";
    }

    private static string Summary(LatencySummary latency) => $"{latency.P50Micros:F0} / {latency.P99Micros:F0} / {latency.MaxMicros:F0}";
}
