using System.Net.Sockets;
using Akka.Actor;
using Host.Cli;
using Host.Cluster;
using Host.Hosting;
using Host.Qmp;
using Host.Tests.Qmp;

namespace Host.Tests.Cluster;

/// <summary>
/// A storage host in-process as a cluster member on loopback, configured as the command line
/// would (<c>--cluster-port</c>, <c>--join</c>), with its host identity and a QMP monitor on a
/// Unix socket in its data dir; its data dir is gone afterwards.
/// </summary>
public sealed class ClusterHost(string name, int port, string dataDir, StorageHost host, QmpServer monitor) : IAsyncDisposable
{
    public string Name => name;

    /// <summary>Its remoting port on 127.0.0.1.</summary>
    public int Port => port;

    public StorageHost Host => host;

    /// <summary>Its Akka address, <c>akka.tcp://actors@127.0.0.1:PORT</c>.</summary>
    public string Address => new SeedNode("127.0.0.1", Port).Address(tls: false);

    /// <summary>Akka's view of the cluster from this host.</summary>
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(Host.System);

    /// <summary>
    /// Starts host <paramref name="name"/> on a free loopback port, joining <paramref name="join"/>
    /// (its own cluster when none), with <paramref name="options"/> added to its command line.
    /// </summary>
    public static async Task<ClusterHost> StartAsync(string name, ClusterHost? join = null, params string[] options)
    {
        var dataDir = Directory.CreateTempSubdirectory($"cluster-{name}-").FullName;
        var port = LoopbackPorts.Free();
        string[] joining = join is null ? [] : ["--join", $"127.0.0.1:{join.Port}"];
        var config = HostCommand.LoadConfig(HostOptions.Parse([
            "--data-dir", dataDir,
            "--set", $"actors.host={name}",
            "--set", "actors.graph-lock.debug-assertions=on",
            "--cluster-port", $"{port}",
            .. joining,
            .. options,
        ]));
        var host = await StorageHost.StartAsync(config, new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ["io0"]));
        host.System.ActorOf(HostIdentity.Props(name, () => null), HostIdentity.Name);
        var monitor = new QmpServer(host, nbd: null);
        await monitor.StartAsync(new UnixDomainSocketEndPoint(Path.Combine(dataDir, "qmp.sock")));
        return new ClusterHost(name, port, dataDir, host, monitor);
    }

    /// <summary>A QMP session with this host's monitor, capabilities negotiated.</summary>
    public Task<QmpTestClient> ConnectAsync() => QmpTestClient.ConnectNegotiatedAsync(Path.Combine(dataDir, "qmp.sock"));

    public async ValueTask DisposeAsync()
    {
        await monitor.DisposeAsync();
        await host.DisposeAsync();
        Directory.Delete(dataDir, recursive: true);
    }
}
