using Nodes.Nbd;

namespace Host.Demo.Cluster;

/// <summary>
/// One image of the cluster demo and the I/O on it: <c>export 'diskK' ─→ diskK (raw) ─file→
/// diskK-file (file: diskK.raw)</c>, all on host hK and served by hK's NBD server, with the model
/// of what each block must hold and the NBD connections that write and read it.
/// </summary>
public sealed class DemoExport : IAsyncDisposable
{
    public DemoExport(DemoHost host, int index, long blocks, DemoOptions options)
    {
        Host = host;
        Node = $"disk{index}";
        FileNode = $"disk{index}-file";
        ImageName = $"disk{index}.raw";
        SpareImageName = $"spare{index}.raw";
        // Each export its own seed, so one export's blocks can never pass for the other's.
        Seed = options.Seed + index;
        Model = new BlockModel(blocks);
        // No budget of its own: the scenario stops the I/O once the duration passed and every
        // graph change is done, however long the failover took.
        Workload = new IoWorkload(Model, options with { Seed = Seed, Duration = TimeSpan.MaxValue });
    }

    public DemoHost Host { get; }

    /// <summary>The exported raw node, and the export's id and NBD name.</summary>
    public string Node { get; }

    public string FileNode { get; }

    public string ImageName { get; }

    public string ImagePath => Path.Combine(Host.ImagesDirectory, ImageName);

    /// <summary>A second image on the same host, for a spare node the script adds and deletes.</summary>
    public string SpareImageName { get; }

    public string SpareImagePath => Path.Combine(Host.ImagesDirectory, SpareImageName);

    public long Seed { get; }

    public BlockModel Model { get; }

    public IoWorkload Workload { get; }

    public List<NbdClient> Clients { get; } = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients)
        {
            await client.DisposeAsync();
        }
    }
}
