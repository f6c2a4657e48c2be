using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Actors.IoThreads;
using Microsoft.Extensions.Logging;
using Nodes.Runtime;
using Nodes.Tls;

namespace Host.Nbd;

/// <summary>
/// One client of the NBD server: the fixed newstyle handshake (<c>NbdConnection.Handshake.cs</c>),
/// then transmission (<c>NbdConnection.Transmission.cs</c>) until the client disconnects, sends
/// bad bytes, or the server stops. Whatever happens here closes this connection only.
/// </summary>
/// <remarks>
/// With TLS credentials, the client must start TLS (NBD_OPT_STARTTLS) before anything else, and
/// from then on every byte goes through <c>_tls</c>, an <see cref="SslStream"/> over the same
/// loop socket; a plain connection pays one null check per receive and send for it.
/// </remarks>
internal sealed partial class NbdConnection
{
    private readonly LoopSocket _io;
    private readonly Strand _strand;
    private EventLoop? _home;
    private readonly GraphRuntime _runtime;
    private readonly ILogger _logger;
    private readonly string _client;
    private readonly TlsCredsX509? _tlsCreds;
    private readonly NbdHandshakeLimit _handshakeLimit;
    private SslStream? _tls;

    /// <summary>Armed from connect to the end of the handshake only; null before, after, and without a limit.</summary>
    private Timer? _handshakeTimer;

    /// <summary>One of <see cref="Negotiating"/>, <see cref="Negotiated"/>, <see cref="HandshakeExpired"/>; see <see cref="ExpireHandshake"/>.</summary>
    private int _handshake;
    private const int Negotiating = 0;
    private const int Negotiated = 1;
    private const int HandshakeExpired = 2;

    /// <param name="socket">The accepted client; the connection owns it.</param>
    /// <param name="runtime">The host's live nodes and exports.</param>
    /// <param name="logger">The server's log.</param>
    /// <param name="tlsCreds">Server credentials when TLS is required; null for plain NBD.</param>
    /// <param name="handshakeLimit">How long the client may take to choose an export.</param>
    public NbdConnection(Socket socket, GraphRuntime runtime, ILogger logger, TlsCredsX509? tlsCreds, NbdHandshakeLimit handshakeLimit)
    {
        _client = socket.RemoteEndPoint?.ToString() is { Length: > 0 } remote ? remote : $"unix#{socket.Handle}";
        _runtime = runtime;
        _logger = logger;
        _tlsCreds = tlsCreds;
        _handshakeLimit = handshakeLimit;
        // Everything the connection does runs in its strand, and its socket is watched, on the
        // loop of the export's IoThread (during the handshake, on any IoThread of the host).
        _strand = new Strand(CurrentHome);
        _io = new LoopSocket(socket, CurrentHome);
    }

    /// <summary>The connection's whole life; set by <see cref="Start"/>. Never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start() => Completion = RunAsync();

    /// <summary>
    /// Closes the socket: the reader loop fails on its next read, in-flight requests finish and
    /// their replies are dropped. Safe to call at any time, more than once.
    /// </summary>
    public void Close() => _io.Dispose();

    private async ValueTask ReadExactlyAsync(Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var received = await ReceiveAsync(buffer);
            if (received == 0)
            {
                throw new EndOfStreamException("the client closed its end during the handshake");
            }
            buffer = buffer[received..];
        }
    }

    private async ValueTask WriteAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await SendSomeAsync(data)..];
        }
    }

    /// <summary>Receives at least one byte (0: the client closed its end), through TLS once it started.</summary>
    private ValueTask<int> ReceiveAsync(Memory<byte> buffer) => _tls is null ? _io.ReceiveAsync(buffer) : _tls.ReadAsync(buffer);

    /// <summary>Sends at least one byte and says how many, through TLS once it started (which sends all).</summary>
    private ValueTask<int> SendSomeAsync(ReadOnlyMemory<byte> data) => _tls is null ? _io.SendAsync(data) : SendTlsAsync(_tls, data);

    private static async ValueTask<int> SendTlsAsync(SslStream tls, ReadOnlyMemory<byte> data)
    {
        await tls.WriteAsync(data);
        return data.Length;
    }

    private EventLoop CurrentHome() =>
        _home = HomeLoop() ?? _home ?? throw new InvalidOperationException($"Host '{_runtime.Host}' has no IoThread to serve NBD client {_client}");

    /// <summary>
    /// The connection from accept to close. Never faults: whatever ends it is logged (a bug at
    /// error level, with the exception), the socket is closed, and the server and the other
    /// connections go on.
    /// </summary>
    private async Task RunAsync()
    {
        if (_handshakeLimit.Duration is { } limit)
        {
            _handshakeTimer = new Timer(static state => ((NbdConnection)state!).ExpireHandshake(), this, limit, Timeout.InfiniteTimeSpan);
        }
        var reason = "disconnected";
        try
        {
            // Off the accept loop's stack, into the strand, from the first await on.
            await _strand.Enter();
            NbdLog.Connected(_logger, _client);
            var export = await NegotiateAsync();
            EndHandshakeTimer();
            reason = export is null ? "handshake ended" : await TransmitAsync(export);
        }
        catch (Exception e) when (Volatile.Read(ref _handshake) == HandshakeExpired && (IsConnectionLoss(e) || e is AuthenticationException))
        {
            // What the closed socket made the handshake throw (a failed read or write, a failed
            // TLS handshake): the limit is why. Anything else is still a bug, caught below.
            reason = "handshake time limit";
            NbdLog.HandshakeTimedOut(_logger, _client, _handshakeLimit.Seconds);
        }
        catch (NbdProtocolException e)
        {
            reason = e.Message;
            NbdLog.ProtocolViolation(_logger, _client, e.Message);
        }
        catch (AuthenticationException e)
        {
            reason = "TLS handshake failed";
            NbdLog.TlsFailed(_logger, _client, e.Message);
        }
        catch (Exception e) when (IsConnectionLoss(e))
        {
            // The client vanished, or the server closed us: nothing to tell anyone.
            reason = e.GetType().Name;
        }
        catch (Exception e)
        {
            // A bug: it ends this connection only, and says so where an operator looks.
            reason = $"internal error ({e.GetType().Name})";
            NbdLog.ConnectionFailed(_logger, _client, e);
        }
        finally
        {
            EndHandshakeTimer();
            _io.Dispose();
            _tls?.Dispose();
            NbdLog.Disconnected(_logger, _client, reason);
        }
    }

    /// <summary>The client vanished, or the server closed the socket (stop, export removal, handshake limit).</summary>
    private static bool IsConnectionLoss(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or OperationCanceledException;

    /// <summary>
    /// The handshake timer fired (on a pool thread, outside the strand). It races with the
    /// handshake's end, and the compare-and-swap on <see cref="_handshake"/> decides:
    /// Case 1: the timer wins while the client is still negotiating: the socket is closed, the
    /// handshake's pending read (or TLS handshake) fails, and RunAsync blames the limit.
    /// Case 2: the handshake ended first (<see cref="EndHandshakeTimer"/> set Negotiated): nothing
    /// happens; a callback already running when the timer was disposed lands here too.
    /// Case 3: the timer wins just after NBD_OPT_GO's reply went out but before RunAsync ended the
    /// timer: the client is closed as in case 1, by a hair past the limit, and the log says so.
    /// </summary>
    private void ExpireHandshake()
    {
        if (Interlocked.CompareExchange(ref _handshake, HandshakeExpired, Negotiating) == Negotiating)
        {
            Close();
        }
    }

    /// <summary>The handshake is over (or the connection is): the timer goes, so transmission pays nothing for it.</summary>
    private void EndHandshakeTimer()
    {
        Interlocked.CompareExchange(ref _handshake, Negotiated, Negotiating);
        _handshakeTimer?.Dispose();
        _handshakeTimer = null;
    }
}
