using Actors.Config;
using Host.Cluster;
using Host.Hosting;

namespace Host.Tests.Hosting;

/// <summary>A storage host in an actor system of its own, on a fresh data dir; both are gone afterwards.</summary>
public sealed class HostFixture : IAsyncDisposable
{
    private HostFixture(string dataDir, StorageHost host)
    {
        DataDir = dataDir;
        ImagesDir = Path.Combine(dataDir, "images");
        Host = host;
    }

    public string DataDir { get; }

    public StorageHost Host { get; }

    /// <summary>Where image files live: the host's images are confined to it.</summary>
    public string ImagesDir { get; }

    public static async Task<HostFixture> StartAsync(params string[] ioThreads)
    {
        var dataDir = Directory.CreateTempSubdirectory("host-tests-").FullName;
        var host = await StartHostAsync(dataDir, new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ioThreads.Length == 0 ? ["io0"] : ioThreads));
        return new HostFixture(dataDir, host);
    }

    /// <summary>A host on <paramref name="dataDir"/> (its journal there), with the lock discipline checked, as tests run it.</summary>
    public static Task<StorageHost> StartHostAsync(string dataDir, StorageHostOptions options, string settings = "") =>
        StorageHost.StartAsync(Config(dataDir, settings), options);

    /// <summary>
    /// The resolved configuration of a test host whose data dir is <paramref name="dataDir"/>, with
    /// <paramref name="settings"/> (HOCON) over it, and the Akka keys its cluster settings imply, as
    /// the command line resolves it.
    /// </summary>
    public static Actors.Config.Config Config(string dataDir, string settings = "") =>
        ClusterConfig.Apply(ConfigFactory.ParseString(settings, "test settings").WithFallback(ConfigFactory.ParseString($$"""
            host.data-dir = "{{dataDir}}"
            actors.graph-lock.debug-assertions = on
            """)).WithFallback(ConfigFactory.Reference()).Resolve());

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
