using System.Net;
using System.Net.Sockets;
using Host.Cli;

namespace Host.Tests.Cluster;

/// <summary>
/// Cluster settings the host cannot use stop it with exit code 1 and one line naming the setting,
/// before it serves anything. The host runs in-process on a fresh data dir.
/// </summary>
public sealed class BadClusterConfigTests : IDisposable
{
    private readonly DirectoryInfo _dataDir = Directory.CreateTempSubdirectory("bad-cluster-config-");

    public void Dispose() => _dataDir.Delete(recursive: true);

    [Fact]
    public async Task A_cluster_port_in_use_exits_1_naming_the_setting_and_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, line) = await RunAsync("--cluster-port", $"{port}");

        Assert.Equal(1, code);
        Assert.Equal($"actors-host: actors.cluster.port: cannot listen on 127.0.0.1:{port}: Address already in use", line);
    }

    [Fact]
    public async Task A_seed_node_that_is_not_an_address_of_the_actors_system_exits_1_naming_the_key()
    {
        var (code, line) = await RunAsync("--set", """akka.cluster.seed-nodes=["akka.tcp://other@h1:2551"]""");

        Assert.Equal((1, "actors-host: akka.cluster.seed-nodes akka.tcp://other@h1:2551: expected akka.tcp://actors@HOST:PORT"), (code, line));
    }

    [Fact]
    public async Task A_seed_node_without_a_port_exits_1_naming_the_key()
    {
        var (code, line) = await RunAsync("--set", """akka.cluster.seed-nodes=["akka.tcp://actors@h1"]""");

        Assert.Equal((1, "actors-host: akka.cluster.seed-nodes akka.tcp://actors@h1: expected akka.tcp://actors@HOST:PORT"), (code, line));
    }

    [Fact]
    public async Task A_plain_tcp_seed_node_of_a_cluster_over_TLS_exits_1_naming_the_key()
    {
        var (code, line) = await RunAsync(
            "--set", "akka.remote.dot-netty.tcp.enable-ssl=on",
            "--set", """akka.cluster.seed-nodes=["akka.tcp://actors@h1:2551"]""");

        Assert.Equal((1, "actors-host: akka.cluster.seed-nodes akka.tcp://actors@h1:2551: expected akka.ssl.tcp://actors@HOST:PORT"), (code, line));
    }

    [Fact]
    public async Task A_cluster_certificate_that_cannot_be_read_exits_1_naming_the_key()
    {
        var missing = Path.Combine(_dataDir.FullName, "missing.p12");

        var (code, line) = await RunAsync("--cluster-port", "2551", "--set", $"actors.cluster.tls.certificate={missing}");

        Assert.Equal(1, code);
        Assert.StartsWith($"actors-host: actors.cluster.tls.certificate {missing}: cannot read it as a PKCS#12 certificate: ", line);
    }

    /// <summary>Runs the host with <paramref name="options"/> on the test's data dir; returns its exit code and the one line of its error output.</summary>
    private async Task<(int Code, string Line)> RunAsync(params string[] options)
    {
        var error = new StringWriter();
        var code = await HostCommand.RunAsync(["--data-dir", _dataDir.FullName, "--set", $"host.images-dir={_dataDir.FullName}", .. options], new StringWriter(), error);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (code, Assert.Single(lines));
    }
}
