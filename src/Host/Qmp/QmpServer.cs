using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Host.Hosting;
using Host.Nbd;

namespace Host.Qmp;

/// <summary>
/// The QMP monitor of one <see cref="StorageHost"/>: listens on Unix sockets and/or TCP loopback
/// endpoints, one <see cref="QmpSession"/> per client, and broadcasts events to every
/// negotiated session. Without an <see cref="INbdServerControl"/>, <c>nbd-server-start</c> is
/// refused rather than pretending to serve.
/// </summary>
public sealed class QmpServer : IAsyncDisposable
{
    private readonly QmpCommands _commands;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<QmpSession, Task> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _quitRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _clock;

    public QmpServer(StorageHost host, INbdServerControl? nbd, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _clock = clock ?? TimeProvider.System;
        _commands = new QmpCommands(host, nbd, this);
    }

    /// <summary>Completes when a client ran <c>quit</c>: the host's owner then shuts the host down.</summary>
    public Task WhenQuitRequested => _quitRequested.Task;

    /// <summary>
    /// Listens on <paramref name="endpoint"/>: a <see cref="UnixDomainSocketEndPoint"/> or a loopback
    /// <see cref="IPEndPoint"/> (QMP has no authentication, so it is not offered off-host), or any
    /// <see cref="IPEndPoint"/> when <paramref name="anyAddress"/> says the host's configuration
    /// chose it (<c>host.defaults.listen-address</c>: a container whose port is published).
    /// May be called once per endpoint.
    /// </summary>
    public Task StartAsync(EndPoint endpoint, bool anyAddress = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Socket listener;
        switch (endpoint)
        {
            case UnixDomainSocketEndPoint unix:
                listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                // A stale socket file from an earlier run would make bind fail with "address in use"; QEMU unlinks it too.
                File.Delete(unix.ToString());
                break;
            case IPEndPoint ip when anyAddress || IPAddress.IsLoopback(ip.Address):
                listener = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                break;
            default:
                throw new ArgumentException($"QMP listens on a Unix socket or a loopback address, not on {endpoint}.", nameof(endpoint));
        }
        try
        {
            listener.Bind(endpoint);
            listener.Listen();
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        lock (_listeners)
        {
            _listeners.Add(listener);
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
        return Task.CompletedTask;
    }

    /// <summary>The endpoints actually bound (a TCP port 0 resolved to the one chosen).</summary>
    public IReadOnlyList<EndPoint> Endpoints
    {
        get
        {
            lock (_listeners)
            {
                return [.. _listeners.Select(l => l.LocalEndPoint!)];
            }
        }
    }

    /// <summary>Stops listening and ends every session.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_listeners)
        {
            foreach (var listener in _listeners)
            {
                // Nothing listens there any more: leave no socket file for a client to hang on.
                if (listener.LocalEndPoint is UnixDomainSocketEndPoint unix)
                {
                    File.Delete(unix.ToString());
                }
                listener.Dispose();
            }
            loops = [.. _acceptLoops];
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        foreach (var (session, run) in _sessions)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Sends <c>{"event": name, "data": data, "timestamp": ...}</c> to every negotiated session.</summary>
    internal async Task EmitAsync(string name, JsonObject data)
    {
        var now = (_clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var message = new JsonObject
        {
            ["event"] = name,
            ["data"] = data,
            ["timestamp"] = new JsonObject { ["seconds"] = now / 1_000_000, ["microseconds"] = now % 1_000_000 },
        };
        // Each session serialises the same tree; JsonNode is not shared across parents, so clone per session.
        await Task.WhenAll(_sessions.Keys.Select(s => s.SendEventAsync((JsonObject)message.DeepClone()))).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>quit</c>: QEMU says SHUTDOWN to every monitor and exits; here the owner of the host
    /// learns it from <see cref="WhenQuitRequested"/> and stops the host.
    /// </summary>
    internal async Task QuitAsync()
    {
        await EmitAsync("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" }).ConfigureAwait(false);
        _quitRequested.TrySetResult();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var session = new QmpSession(client, _commands, this);
            // The session starts only once registered, so its own removal cannot come first.
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessions[session] = RunSessionAsync(session, registered.Task);
            registered.SetResult();
        }
    }

    private async Task RunSessionAsync(QmpSession session, Task registered)
    {
        await registered.ConfigureAwait(false);
        try
        {
            await session.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }
}
