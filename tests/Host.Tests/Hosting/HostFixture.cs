using Actors.Config;
using Actors.Core;
using Host.Hosting;

namespace Host.Tests.Hosting;

/// <summary>A storage host on a fresh data dir inside the test's actor system; the dir is deleted afterwards.</summary>
public sealed class HostFixture : IAsyncDisposable
{
    private HostFixture(string dataDir, ActorSystem system, StorageHost host)
    {
        DataDir = dataDir;
        System = system;
        Host = host;
    }

    public string DataDir { get; }

    public ActorSystem System { get; }

    public StorageHost Host { get; }

    /// <summary>Where image files live (the disk backend's root).</summary>
    public string ImagesDir => Host.Options.ImagesDir;

    public static async Task<HostFixture> StartAsync(params string[] ioThreads)
    {
        var dataDir = Directory.CreateTempSubdirectory("host-tests-").FullName;
        var config = ConfigFactory.ParseString($$"""
            actors.persistence.sqlite.path = "{{Path.Combine(dataDir, "journal.db")}}"
            actors.graph-lock.debug-assertions = on
            """);
        var system = ActorSystem.Create("test", config);
        var host = await StorageHost.StartAsync(system, new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ioThreads.Length == 0 ? ["io0"] : ioThreads));
        return new HostFixture(dataDir, system, host);
    }

    public async ValueTask DisposeAsync()
    {
        await System.Terminate();
        Directory.Delete(DataDir, recursive: true);
    }
}
