using System.Collections.Immutable;
using Akka.Actor;
using Actors.GraphLock;
using Host.Daemon;
using Nodes.Commands;
using Nodes.Runtime;

namespace Host.Hosting;

/// <summary>
/// Carries out the qemu-storage-daemon options on a started host, in qemu-storage-daemon's
/// order: block devices, then exports (IoThreads from <c>--object</c> start with the host, before
/// the graph is recovered). The graph persists, so a node or export that recovery already brought
/// back as the option describes it is kept, not added twice: the command line is ensured.
/// </summary>
public static class DaemonPlan
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the plan; a refused step throws naming the option and the reason (QEMU's wording).</summary>
    public static async Task RunAsync(StorageHost host, DaemonOptions options)
    {
        foreach (var blockdev in options.Blockdevs)
        {
            // The node from an earlier start is kept; one of that name on another host is another node (refused below).
            if ((await Snapshot(host)).Find(blockdev.NodeName) is { } existing && existing.Driver == blockdev.Driver && existing.Host == host.Runtime.Host)
            {
                continue;
            }
            // A node runs where its children run, a leaf on the first IoThread (as blockdev-add).
            var ioThread = blockdev.Children.IsEmpty ? host.Options.IoThreads[0] : await IoThreadOf(host, blockdev, blockdev.Children.Values.First());
            await Run(host, new AddNode(blockdev.NodeName, blockdev.Driver, blockdev.Options, host.Runtime.Host, ioThread, blockdev.Children), $"--blockdev node-name={blockdev.NodeName}");
        }
        foreach (var export in options.Exports)
        {
            if ((await Snapshot(host)).Exports.Any(e => e.Id == export.Id && e.Node == export.NodeName))
            {
                continue;
            }
            if (export.IoThread is { } io)
            {
                await Run(host, new MoveNode(export.NodeName, io), $"--export id={export.Id}");
            }
            await Run(host, new AddExport(export.Id, export.NodeName, export.Name, export.Writable), $"--export id={export.Id}");
        }
    }

    private static async Task<string> IoThreadOf(StorageHost host, BlockdevOption blockdev, string node) =>
        (await Snapshot(host)).Find(node)?.IoThread ?? throw new ArgumentException($"--blockdev node-name={blockdev.NodeName}: Cannot find node name '{node}'");

    private static Task<GraphSnapshot> Snapshot(StorageHost host) => host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);

    private static async Task Run(StorageHost host, IGraphCommand command, string option)
    {
        try
        {
            await host.Graph.Ask<WriteCompleted>(command, Timeout);
        }
        catch (Exception e) when (Refusal.Is(e))
        {
            throw new ArgumentException($"{option}: {e.Message}", e);
        }
    }
}
