using System.Collections.Immutable;
using Akka.Actor;
using Actors.GraphLock;
using Host.Hosting;
using Nodes.Commands;

namespace Host.Demo;

/// <summary>The demo's nodes and images, and the graph it starts from: <c>export 'disk' ─→ disk (raw) ─file→ disk-file (file: disk.raw)</c>.</summary>
public static class DemoGraph
{
    public const string Image = "disk.raw";
    public const string DiskFile = "disk-file";
    public const string Disk = "disk";
    public const string Export = "disk";
    public const string SpareImage = "spare.raw";
    public const string Spare = "spare-file";

    /// <summary>How long a graph command may take: long enough for a write section queued behind others; a stuck graph still ends the demo.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Creates the images and builds the graph on <paramref name="ioThread"/>, exported writable over NBD.</summary>
    public static async Task BuildAsync(StorageHost host, long size, string ioThread)
    {
        host.Disk.Create(Image, size);
        host.Disk.Create(SpareImage, BlockPattern.BlockSize * 256);
        var none = ImmutableSortedDictionary<string, string>.Empty;
        await host.Graph.Ask<WriteCompleted>(new AddNode(DiskFile, "file", none.Add("filename", Image), host.Runtime.Host, ioThread, none), Timeout);
        await host.Graph.Ask<WriteCompleted>(new AddNode(Disk, "raw", none, host.Runtime.Host, ioThread, none.Add("file", DiskFile)), Timeout);
        await host.Graph.Ask<WriteCompleted>(new AddExport(Export, Disk, Export, Writable: true), Timeout);
    }
}
