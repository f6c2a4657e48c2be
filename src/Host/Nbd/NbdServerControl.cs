using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Nodes.Runtime;
using Nodes.Tls;

namespace Host.Nbd;

/// <summary>
/// The host's one NBD server, started and stopped from the command line (<c>--nbd-server</c>) or
/// from QMP (<c>nbd-server-start</c> / <c>nbd-server-stop</c>), as in qemu-storage-daemon.
/// </summary>
public sealed class NbdServerControl(GraphRuntime runtime, ILogger logger) : INbdServerControl, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NbdServer? _server;

    /// <summary>Where the running server listens, if one runs.</summary>
    public EndPoint? Endpoint => _server?.LocalEndPoint;

    public async Task StartAsync(NbdServerAddress address, TlsCredsX509? tlsCreds, NbdHandshakeLimit handshakeLimit, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_server is not null)
            {
                throw new InvalidOperationException("NBD server already running");
            }
            var server = new NbdServer(runtime, logger, tlsCreds, handshakeLimit);
            await server.StartAsync(address switch
            {
                NbdServerAddress.Unix unix => new UnixDomainSocketEndPoint(unix.Path),
                NbdServerAddress.Inet inet => new IPEndPoint(
                    IPAddress.TryParse(inet.Host == "localhost" ? "127.0.0.1" : inet.Host, out var ip) ? ip : throw new ArgumentException($"Invalid host '{inet.Host}'"),
                    int.TryParse(inet.Port, out var port) && port is >= 0 and <= 65535 ? port : throw new ArgumentException($"Invalid port '{inet.Port}'")),
                _ => throw new ArgumentException($"Unsupported address {address}"),
            });
            _server = server;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var server = _server ?? throw new InvalidOperationException("NBD server not running");
            _server = null;
            await server.StopAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public int ConnectionsTo(string exportId) => _server?.ConnectionsTo(exportId) ?? 0;

    public Task DisconnectAsync(string exportId) => _server?.DisconnectAsync(exportId) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync();
        }
    }
}
