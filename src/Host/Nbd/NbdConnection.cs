using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Nodes.Runtime;

namespace Host.Nbd;

/// <summary>
/// One client of the NBD server: the fixed newstyle handshake (<c>NbdConnection.Handshake.cs</c>),
/// then transmission (<c>NbdConnection.Transmission.cs</c>) until the client disconnects, sends
/// bad bytes, or the server stops. Whatever happens here closes this connection only.
/// </summary>
internal sealed partial class NbdConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly GraphRuntime _runtime;
    private readonly ILogger _logger;
    private readonly string _client;

    public NbdConnection(Socket socket, GraphRuntime runtime, ILogger logger)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _runtime = runtime;
        _logger = logger;
        _client = socket.RemoteEndPoint?.ToString() is { Length: > 0 } remote ? remote : $"unix#{socket.Handle}";
    }

    /// <summary>The connection's whole life; set by <see cref="Start"/>. Never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start() => Completion = RunAsync();

    /// <summary>
    /// Closes the socket: the reader loop fails on its next read, in-flight requests finish and
    /// their replies are dropped. Safe to call at any time, more than once.
    /// </summary>
    public void Close() => _socket.Dispose();

    private async Task RunAsync()
    {
        // Run off the accept loop's stack from the first await on.
        await Task.Yield();
        NbdLog.Connected(_logger, _client);
        var reason = "disconnected";
        try
        {
            var export = await NegotiateAsync();
            reason = export is null ? "handshake ended" : await TransmitAsync(export);
        }
        catch (NbdProtocolException e)
        {
            reason = e.Message;
            NbdLog.ProtocolViolation(_logger, _client, e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or EndOfStreamException or OperationCanceledException)
        {
            // The client vanished, or the server closed us: nothing to tell anyone.
            reason = e.GetType().Name;
        }
        finally
        {
            await _stream.DisposeAsync();
            NbdLog.Disconnected(_logger, _client, reason);
        }
    }
}
