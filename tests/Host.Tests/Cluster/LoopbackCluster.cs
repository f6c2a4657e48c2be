using System.Net;
using System.Net.Sockets;
using Akka.Cluster;
using Host.Hosting;
using Host.Tests.Hosting;

namespace Host.Tests.Cluster;

/// <summary>
/// Storage hosts in one test process, each in an actor system of its own, forming an Akka
/// cluster on loopback ports (the first is the seed): as hosts on three machines would, each with
/// its own data dir and images, and one journal they all reach (a SQLite file in a directory of
/// the cluster's, standing in for PostgreSQL). Disposing it stops every host that is still up.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    /// <summary>How long a cluster step (joining, a hand-over) may take in a test.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private readonly string _journalDir = Directory.CreateTempSubdirectory("cluster-journal-").FullName;
    private readonly List<string> _dataDirs = [];
    private readonly List<StorageHost> _hosts = [];
    private readonly int _seedPort = FreePort();

    public IReadOnlyList<StorageHost> Hosts => _hosts;

    /// <summary>Starts <paramref name="count"/> hosts named h1, h2... (h1 the seed, so the oldest) and waits until all are up.</summary>
    public static async Task<LoopbackCluster> StartAsync(int count)
    {
        var cluster = new LoopbackCluster();
        try
        {
            for (var i = 1; i <= count; i++)
            {
                await cluster.AddHostAsync($"h{i}");
            }
            await cluster.WaitAsync(() => cluster._hosts.All(h => UpMembers(h) == count), $"{count} members up on every host");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more host that joins through the seed.</summary>
    public async Task<StorageHost> AddHostAsync(string name)
    {
        var dataDir = Directory.CreateTempSubdirectory($"cluster-{name}-").FullName;
        _dataDirs.Add(dataDir);
        var port = _hosts.Count == 0 ? _seedPort : FreePort();
        var host = await HostFixture.StartHostAsync(
            dataDir,
            new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ["io0", "io1"]),
            $$"""
            actors.host = {{name}}
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = {{port}} }
            akka.cluster.seed-nodes = ["akka.tcp://actors@127.0.0.1:{{_seedPort}}"]
            akka.persistence.journal.sql.connection-string = "Data Source={{_journalDir}}/graph.db"
            {{TestClusterTiming.Hocon}}
            """);
        _hosts.Add(host);
        return host;
    }

    /// <summary>The host leaves the cluster cleanly and stops (as on SIGTERM).</summary>
    public async Task StopHostAsync(StorageHost host)
    {
        _hosts.Remove(host);
        await host.DisposeAsync();
    }

    /// <summary>Waits, bounded, until <paramref name="condition"/> holds; fails naming what it waited for.</summary>
    public async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {WaitLimit.TotalSeconds} s for: {what}");
            }
            await Task.Delay(50);
        }
    }

    public static int UpMembers(StorageHost host) =>
        Akka.Cluster.Cluster.Get(host.System).State.Members.Count(m => m.Status == MemberStatus.Up);

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.DisposeAsync();
        }
        foreach (var dir in _dataDirs.Append(_journalDir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
