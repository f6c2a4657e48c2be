using System.Net.Sockets;
using Host.Nbd;
using Host.Qmp;
using Host.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Host.Tests.Qmp;

/// <summary>A storage host with its QMP monitor on a Unix socket in the host's data dir.</summary>
public sealed class QmpFixture : IAsyncDisposable
{
    private readonly NbdServerControl? _nbd;

    private QmpFixture(HostFixture host, QmpServer server, string socketPath, NbdServerControl? nbd = null)
    {
        Host = host;
        Server = server;
        SocketPath = socketPath;
        _nbd = nbd;
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

    /// <summary>Like <see cref="StartAsync(string[])"/>, with the host's real NBD server behind nbd-server-start.</summary>
    public static async Task<QmpFixture> StartWithNbdServerAsync(params string[] ioThreads)
    {
        var host = await HostFixture.StartAsync(ioThreads);
        var nbd = new NbdServerControl(host.Host.Runtime, NullLogger.Instance);
        var server = new QmpServer(host.Host, nbd);
        var socketPath = Path.Combine(host.DataDir, "qmp.sock");
        await server.StartAsync(new UnixDomainSocketEndPoint(socketPath));
        return new QmpFixture(host, server, socketPath, nbd);
    }

    public Task<QmpTestClient> ConnectAsync() => QmpTestClient.ConnectNegotiatedAsync(SocketPath);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (_nbd is not null)
        {
            await _nbd.DisposeAsync();
        }
        await Host.DisposeAsync();
    }
}
