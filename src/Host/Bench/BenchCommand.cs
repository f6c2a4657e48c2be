using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Actors.Config;
using Actors.GraphLock;
using Actors.IoThreads;
using Nodes.Disk;
using Nodes.Drivers;

namespace Host.Bench;

/// <summary>
/// <c>bench</c>: qemu-img bench through this engine's I/O path. Every request enters the graph
/// on an IoThread the way a front end's request does: it takes the IoThread's read lock, calls
/// the node (which forwards to its children), and releases the lock when it completes, with
/// DEPTH requests in flight.
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"bench: {e.Message}");
            return 1;
        }

        var config = ConfigFactory.Reference().Resolve();
        using var system = AkkaHandover.CreateSystem("bench", config, loggerFactory: null);
        var lockOptions = GraphLockOptions.FromConfig(config);
        var coordinator = system.ActorOf(Coordinator.Props(lockOptions), "coordinator");
        var loop = (await IoThread.StartAsync(system, "bench", coordinator, lockOptions)).Loop;
        try
        {
            var node = await loop.RunAsync(() => OpenNodeAsync(options, loop.Clock).AsTask());
            var step = options.Step ?? options.Size;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Sending {options.Count} {(options.Write ? "write" : "read")} requests, {options.Size} bytes each, {options.Depth} in parallel (starting at offset {options.Offset}, step size {step})"));
            var elapsed = await loop.RunAsync(() => RunAsync(node, options, step));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Run completed in {elapsed.TotalSeconds:0.000} seconds."));
            await loop.RunAsync(async () =>
            {
                await CloseTreeAsync(node);
                return true;
            });
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or Nodes.Graph.GraphException)
        {
            await error.WriteLineAsync($"bench: {e.Message}");
            return 1;
        }
    }

    private static async ValueTask<BlockNode> OpenNodeAsync(BenchOptions options, TimeProvider clock)
    {
        var none = ImmutableDictionary<string, BlockNode>.Empty;
        var readOnly = ImmutableSortedDictionary<string, string>.Empty.Add("read-only", options.Write ? "off" : "on");
        if (options.ImageOptions is { } imageOptions)
        {
            var driver = imageOptions.GetValueOrDefault("driver") ?? throw new ArgumentException("--image-opts: 'driver' is required");
            var registry = DriverRegistry.CreateDefault();
            return await registry.OpenAsync(driver, new NodeSettings("bench0", imageOptions.Remove("driver"), clock), none);
        }
        // A plain file name: the file driver, taking the name as qemu-img does, under the format
        // given with -f (raw when none is given, as qemu-img probes raw images).
        var files = DriverRegistry.CreateDefault(new DiskBackend(imagesDir: null));
        var file = await files.OpenAsync("file", new NodeSettings("file0", readOnly.Add("filename", options.Filename!), clock), none);
        var format = options.Format ?? "raw";
        return await files.OpenAsync(format, new NodeSettings("bench0", ImmutableSortedDictionary<string, string>.Empty, clock), ImmutableDictionary<string, BlockNode>.Empty.Add("file", file));
    }

    private static async Task CloseTreeAsync(BlockNode node)
    {
        await node.CloseAsync();
        foreach (var child in node.Children.Values)
        {
            await CloseTreeAsync(child);
        }
    }

    /// <summary>DEPTH workers share the request sequence; each request: read lock, node call, unlock.</summary>
    private static async Task<TimeSpan> RunAsync(BlockNode node, BenchOptions options, long step)
    {
        var io = IoThread.Current ?? throw new InvalidOperationException("bench must run on an IoThread");
        var next = 0;
        var clock = Stopwatch.StartNew();
        var workers = new Task[options.Depth];
        for (var w = 0; w < workers.Length; w++)
        {
            workers[w] = Worker(new byte[options.Size]);
        }
        await Task.WhenAll(workers);
        return clock.Elapsed;

        async Task Worker(byte[] buffer)
        {
            while (next < options.Count)
            {
                var offset = (options.Offset + (next++ * step)) % Math.Max(1, node.Length - buffer.Length + 1);
                await io.ReadLockAsync();
                try
                {
                    if (options.Write)
                    {
                        await node.WriteAsync(offset, buffer, fua: false);
                    }
                    else
                    {
                        await node.ReadAsync(offset, buffer);
                    }
                }
                finally
                {
                    io.ReadUnlock();
                }
            }
        }
    }
}
