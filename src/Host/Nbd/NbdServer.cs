using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nodes.Runtime;
using Nodes.Tls;

namespace Host.Nbd;

/// <summary>
/// The NBD front end of a host: listens on a TCP or Unix socket and serves the host's exports
/// to any number of clients, each on its own <see cref="NbdConnection"/>. Requests enter the
/// graph through <see cref="GraphRuntime.RunRequestAsync{T}"/>, so they run on the node's
/// IoThread under its read lock like any other front end's. With <paramref name="tlsCreds"/> (a
/// server endpoint's) every client must start TLS before it learns anything (NBD_OPT_STARTTLS).
/// A client that has not chosen an export within <paramref name="handshakeLimit"/> (QEMU's
/// default when null) is closed.
/// </summary>
public sealed class NbdServer(GraphRuntime runtime, ILogger? logger = null, TlsCredsX509? tlsCreds = null, NbdHandshakeLimit? handshakeLimit = null) : IAsyncDisposable
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly NbdHandshakeLimit _handshakeLimit = handshakeLimit ?? NbdHandshakeLimit.Default;
    private readonly ConcurrentDictionary<NbdConnection, byte> _connections = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>Where the server listens once started: for TCP port 0, the port the system picked.</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    /// <summary>Clients connected right now (in handshake or transmission).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds <paramref name="endpoint"/> (an <see cref="IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>) and starts accepting.</summary>
    public Task StartAsync(EndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_listener is not null)
        {
            throw new InvalidOperationException("The NBD server is already started");
        }
        Socket listener;
        if (endpoint is UnixDomainSocketEndPoint unix)
        {
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            // A stale socket file from an earlier run would make bind fail with "address in use"; QEMU unlinks it too.
            File.Delete(unix.ToString());
        }
        else
        {
            listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }
        try
        {
            listener.Bind(endpoint);
            listener.Listen(backlog: 128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        LocalEndPoint = listener.LocalEndPoint;
        NbdLog.Listening(_logger, LocalEndPoint?.ToString() ?? endpoint.ToString()!);
        _acceptLoop = AcceptLoopAsync(listener);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the listener and every connection; returns when their in-flight requests have
    /// finished (their replies are dropped). A Unix socket file we bound is removed.
    /// </summary>
    public async Task StopAsync()
    {
        var listener = _listener;
        if (listener is null)
        {
            return;
        }
        _listener = null;
        listener.Dispose();
        await _acceptLoop;
        var connections = _connections.Keys.ToArray();
        foreach (var connection in connections)
        {
            connection.Close();
        }
        await Task.WhenAll(connections.Select(c => c.Completion));
        if (LocalEndPoint is UnixDomainSocketEndPoint unix && unix.ToString() is { Length: > 0 } path && File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>How many clients are in transmission on export <paramref name="exportId"/>.</summary>
    public int ConnectionsTo(string exportId) => _connections.Keys.Count(c => c.ExportId == exportId);

    /// <summary>
    /// Closes the connections on export <paramref name="exportId"/> (QMP <c>block-export-del</c>
    /// in hard mode); completes when their in-flight requests finished and they are gone.
    /// </summary>
    public Task DisconnectAsync(string exportId)
    {
        var attached = _connections.Keys.Where(c => c.ExportId == exportId).ToArray();
        foreach (var connection in attached)
        {
            connection.Close();
        }
        return Task.WhenAll(attached.Select(c => c.Completion));
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException || (e is SocketException && _listener != listener))
            {
                // StopAsync closed the listener.
                return;
            }
            catch (SocketException e)
            {
                // One failed accept (a client that reset before we took it) is not the listener's end.
                NbdLog.AcceptFailed(_logger, e);
                continue;
            }
            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                // Replies are written whole; Nagle would only hold small ones back.
                socket.NoDelay = true;
            }
            var connection = new NbdConnection(socket, runtime, _logger, tlsCreds, _handshakeLimit);
            _connections.TryAdd(connection, 0);
            connection.Start();
            _ = connection.Completion.ContinueWith(
                static (_, state) =>
                {
                    var (connections, done) = ((ConcurrentDictionary<NbdConnection, byte>, NbdConnection))state!;
                    connections.TryRemove(done, out var _);
                },
                (_connections, connection),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
