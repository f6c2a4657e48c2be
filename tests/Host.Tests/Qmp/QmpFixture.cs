using System.Net.Sockets;
using Host.Qmp;
using Host.Tests.Hosting;

namespace Host.Tests.Qmp;

/// <summary>A storage host with its QMP monitor on a Unix socket in the host's data dir.</summary>
public sealed class QmpFixture : IAsyncDisposable
{
    private QmpFixture(HostFixture host, QmpServer server, string socketPath)
    {
        Host = host;
        Server = server;
        SocketPath = socketPath;
    }

    public HostFixture Host { get; }

    public QmpServer Server { get; }

    public string SocketPath { get; }

    public static Task<QmpFixture> StartAsync(params string[] ioThreads) => StartAsync(nbd: null, ioThreads);

    public static async Task<QmpFixture> StartAsync(INbdServerControl? nbd, params string[] ioThreads)
    {
        var host = await HostFixture.StartAsync(ioThreads);
        var server = new QmpServer(host.Host, nbd);
        var socketPath = Path.Combine(host.DataDir, "qmp.sock");
        await server.StartAsync(new UnixDomainSocketEndPoint(socketPath));
        return new QmpFixture(host, server, socketPath);
    }

    public Task<QmpTestClient> ConnectAsync() => QmpTestClient.ConnectNegotiatedAsync(SocketPath);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Host.DisposeAsync();
    }
}
