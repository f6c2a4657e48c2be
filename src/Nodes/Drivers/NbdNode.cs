using System.Runtime.CompilerServices;
using Nodes.Nbd;
using Nodes.Tls;
using static Nodes.Nbd.NbdProtocol;

namespace Nodes.Drivers;

/// <summary>
/// The <c>nbd</c> protocol driver (QEMU's block/nbd.c): an export of an NBD server
/// (qemu-storage-daemon, qemu-nbd, another of our hosts) as a node, e.g. the <c>file</c> child of
/// a raw node or the <c>backing</c> of a qcow2 overlay. Options as QEMU's
/// (<see cref="NbdNodeOptions"/>): <c>server.type=unix|inet</c>, <c>server.path</c> or
/// <c>server.host</c> and <c>server.port</c>, <c>export</c>, <c>reconnect-delay</c>,
/// <c>open-timeout</c>, <c>read-only</c>, <c>auto-read-only</c>, <c>tls-creds</c> and
/// <c>tls-hostname</c> (NBD_OPT_STARTTLS first, then everything over TLS). Requests are pipelined
/// on one connection (<see cref="NbdClient"/>).
/// </summary>
/// <remarks>
/// <para>
/// The connection's states are QEMU's (<c>NBDClientState</c>). Connected: requests go straight to
/// the client. When the connection is lost (the server went away, or reset it), the node starts
/// connecting again in the background at once, trying after 1, 2, 4, 8 and then every 16 s as
/// QEMU's connect thread does, and:
/// </para>
/// <list type="bullet">
/// <item>with <c>reconnect-delay</c> &gt; 0 (ConnectingWait), requests wait for the new connection,
/// the ones that were in flight without a reply too, and are sent again on it; the delay runs from
/// the first request that has to wait. When it passes first, the waiting requests fail with EIO
/// (ConnectingNoWait).</item>
/// <item>with 0, QEMU's default (ConnectingNoWait), requests fail with EIO at once.</item>
/// <item>either way, once the background attempt succeeds, requests go to the new connection.</item>
/// </list>
/// <para>
/// A request is acknowledged only after the server's reply, so nothing acknowledged is lost; a
/// request sent again may run twice on the server, which is harmless for NBD's commands. A
/// server that breaks the protocol is not reconnected (QEMU's NBD_CLIENT_QUIT). A request waiting
/// for a reconnect holds its IoThread's read lock, so a graph change waits for it up to
/// <c>reconnect-delay</c>, as QEMU's drain does. The state is guarded by a lock: connection events
/// arrive on the thread pool, requests on the node's IoThread.
/// </para>
/// </remarks>
public sealed class NbdNode : BlockNode
{
    /// <summary>Requests on the wire at once (QEMU has 16); more wait for a slot.</summary>
    private const int MaxInFlight = 64;

    /// <summary>The largest TRIM or WRITE_ZEROES sent at once: NBD's lengths are 32 bits, and servers take a whole GiB.</summary>
    private const uint MaxRangeRequest = 1u << 30;

    private static readonly TimeSpan FirstRetryPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromSeconds(16);

    /// <summary>What a WRITE_ZEROES is written as when the server does not take the command.</summary>
    private static readonly byte[] Zeroes = new byte[1 << 20];

    private readonly NbdNodeOptions _options;
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _gate = new();
    private ConnectionState _state;
    private NbdClient? _client;
    private NbdClientException? _lastFailure;
    // Completes with the next connection, or null when the requests waiting for it are to fail.
    private TaskCompletionSource<NbdClient?>? _reconnected;
    private ITimer? _reconnectDelay;
    private Task _reconnecting = Task.CompletedTask;
    private long _length;
    private bool _readOnly;
    private bool _canFlush;
    private bool _canFua;
    private bool _canTrim;
    private bool _canWriteZeroes;

    /// <param name="settings">The node's name and QEMU's nbd options.</param>
    /// <param name="tlsCreds">Where <c>tls-creds</c> is looked up.</param>
    public NbdNode(NodeSettings settings, TlsCredsRegistry tlsCreds)
        : base(settings) => _options = NbdNodeOptions.Parse(settings, tlsCreds);

    private enum ConnectionState
    {
        Connected,
        ConnectingWait,
        ConnectingNoWait,
        Quit,
    }

    public override long Length => _length;

    /// <summary>Connects (trying again until <c>open-timeout</c> passed, once without it) and takes the export's size and what it offers.</summary>
    public override async ValueTask OpenAsync()
    {
        var client = await ConnectAsync(_options.OpenTimeout, _closing.Token);
        if (client.IsReadOnly && !_options.ReadOnly && !_options.AutoReadOnly)
        {
            await client.DisposeAsync();
            throw new BlockIOException(Errno.EROFS, $"Node '{Name}': NBD export '{_options.Export}' on {_options.Address} is read-only (open the node with read-only=on or auto-read-only=on)");
        }
        _length = client.Size;
        _readOnly = _options.ReadOnly || client.IsReadOnly;
        _canFlush = client.CanFlush;
        _canFua = client.CanFua;
        _canTrim = client.CanTrim;
        _canWriteZeroes = client.CanWriteZeroes;
        Adopt(client);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        for (var done = 0; done < buffer.Length; done += MaxPayload)
        {
            var piece = buffer.Slice(done, Math.Min(MaxPayload, buffer.Length - done));
            await RunAsync(CmdRead, 0, offset + done, (uint)piece.Length, ReadOnlyMemory<byte>.Empty, piece);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        RequireWritable();
        for (var done = 0; done < data.Length; done += MaxPayload)
        {
            var piece = data.Slice(done, Math.Min(MaxPayload, data.Length - done));
            await RunAsync(CmdWrite, fua && _canFua ? CmdFlagFua : (ushort)0, offset + done, (uint)piece.Length, piece, Memory<byte>.Empty);
        }
        // Without FUA on the wire, a flush gives the same guarantee (as QEMU's block layer does).
        if (fua && !_canFua)
        {
            await FlushAsync();
        }
    }

    /// <summary>A server that does not offer NBD_CMD_FLUSH writes through: there is nothing to flush.</summary>
    public override ValueTask FlushAsync() =>
        _canFlush ? RunAsync(CmdFlush, 0, 0, 0, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty) : ValueTask.CompletedTask;

    /// <summary>A discard is advice: without NBD_CMD_TRIM on the server it does nothing, as in QEMU.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask DiscardAsync(long offset, long length)
    {
        CheckRange(offset, length);
        RequireWritable();
        if (!_canTrim)
        {
            return;
        }
        for (long done = 0; done < length; done += MaxRangeRequest)
        {
            await RunAsync(CmdTrim, 0, offset + done, (uint)Math.Min(MaxRangeRequest, length - done), ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty);
        }
    }

    /// <summary>NBD_CMD_WRITE_ZEROES (NBD_CMD_FLAG_NO_HOLE unless <paramref name="mayUnmap"/>), or writes of zeroes when the server lacks it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        RequireWritable();
        var chunk = _canWriteZeroes ? MaxRangeRequest : (uint)Zeroes.Length;
        for (long done = 0; done < length; done += chunk)
        {
            var piece = (uint)Math.Min(chunk, length - done);
            await (_canWriteZeroes
                ? RunAsync(CmdWriteZeroes, mayUnmap ? (ushort)0 : CmdFlagNoHole, offset + done, piece, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty)
                : RunAsync(CmdWrite, 0, offset + done, piece, Zeroes.AsMemory(0, (int)piece), Memory<byte>.Empty));
        }
    }

    /// <summary>Stops reconnecting and disconnects (NBD_CMD_DISC); the node is drained, so nothing is in flight.</summary>
    public override async ValueTask CloseAsync()
    {
        NbdClient? client;
        Task reconnecting;
        lock (_gate)
        {
            _state = ConnectionState.Quit;
            client = _client;
            _client = null;
            reconnecting = _reconnecting;
            _reconnectDelay?.Dispose();
            _reconnectDelay = null;
        }
        await _closing.CancelAsync();
        await reconnecting;
        if (client is not null)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// One request: on the connection there is, else on the one a reconnect brings. A request
    /// whose connection was lost before its reply is sent again, as long as the node waits for
    /// a reconnect; a reply with an error fails it with that errno.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync(ushort type, ushort flags, long offset, uint length, ReadOnlyMemory<byte> payload, Memory<byte> readBuffer)
    {
        while (true)
        {
            var client = Volatile.Read(ref _client) ?? await ReconnectedAsync();
            try
            {
                await client.RequestAsync(type, flags, offset, length, payload, readBuffer);
                return;
            }
            catch (NbdClientException e) when (e.Failure == NbdFailure.Refused)
            {
                throw new BlockIOException(e.Errno, $"Node '{Name}': {e.Message}");
            }
            catch (NbdClientException e)
            {
                Lost(client, e);
            }
        }
    }

    /// <summary>The slow path: the connection is gone. Waits for the next one (ConnectingWait) or fails with EIO.</summary>
    private async ValueTask<NbdClient> ReconnectedAsync()
    {
        Task<NbdClient?> reconnected;
        lock (_gate)
        {
            switch (_state)
            {
                case ConnectionState.Connected:
                    return _client!;
                case ConnectionState.ConnectingWait:
                    // QEMU arms the delay at the first request that waits, not when the connection broke.
                    _reconnectDelay ??= Settings.Clock.CreateTimer(static node => ((NbdNode)node!).ReconnectDelayPassed(), this, _options.ReconnectDelay, Timeout.InfiniteTimeSpan);
                    reconnected = _reconnected!.Task;
                    break;
                default:
                    throw Unavailable();
            }
        }
        if (await reconnected is { } client)
        {
            return client;
        }
        lock (_gate)
        {
            throw Unavailable();
        }
    }

    /// <summary>
    /// The connection <paramref name="client"/> failed (seen by a request, or by its receiver while
    /// idle; whichever comes second finds it handled). Requests in flight on it have failed already.
    /// </summary>
    private void Lost(NbdClient client, NbdClientException failure)
    {
        lock (_gate)
        {
            if (_client != client)
            {
                return;
            }
            _client = null;
            _lastFailure = failure;
            if (failure.Failure == NbdFailure.ProtocolViolation)
            {
                _state = ConnectionState.Quit;
                return;
            }
            _state = _options.ReconnectDelay > TimeSpan.Zero ? ConnectionState.ConnectingWait : ConnectionState.ConnectingNoWait;
            _reconnected = new TaskCompletionSource<NbdClient?>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Off the lock and off the IoThread: the old connection's disposal waits for its requests to let go.
            _reconnecting = Task.Run(() => ReconnectAsync(client));
        }
    }

    /// <summary>QEMU's connect thread: closes the lost connection, then connects until it succeeds or the node closes.</summary>
    private async Task ReconnectAsync(NbdClient lost)
    {
        await lost.DisposeAsync().ConfigureAwait(false);
        NbdClient client;
        try
        {
            client = await ConnectAsync(Timeout.InfiniteTimeSpan, _closing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            return;
        }
        catch (NbdClientException e)
        {
            // Not a server we can talk to any more (QEMU's NBD_CLIENT_QUIT); requests fail naming why.
            lock (_gate)
            {
                _lastFailure = e;
                if (_state != ConnectionState.Quit)
                {
                    _state = ConnectionState.Quit;
                    _reconnected!.TrySetResult(null);
                }
            }
            return;
        }
        if (!Adopt(client))
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Connects, and while that fails for want of a server (not for a protocol violation) tries
    /// again after 1, 2, 4, 8, then every 16 s until <paramref name="limit"/> passed (infinite: until it
    /// succeeds); then throws the last failure.
    /// </summary>
    private async Task<NbdClient> ConnectAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Settings.Clock;
        var started = clock.GetTimestamp();
        var pause = FirstRetryPause;
        while (true)
        {
            try
            {
                return await NbdClient.ConnectAsync(_options.Server, _options.Export, MaxInFlight, _options.Tls, cancellationToken).ConfigureAwait(false);
            }
            catch (NbdClientException e) when (e.Failure == NbdFailure.ConnectionLost && (limit == Timeout.InfiniteTimeSpan || clock.GetElapsedTime(started) < limit))
            {
                lock (_gate)
                {
                    _lastFailure = e;
                }
                await Task.Delay(pause, clock, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 < MaxRetryPause ? pause * 2 : MaxRetryPause;
            }
        }
    }

    /// <summary>Makes <paramref name="client"/> the node's connection, unless the node closed; wakes the requests that wait for it.</summary>
    private bool Adopt(NbdClient client)
    {
        TaskCompletionSource<NbdClient?>? waiting;
        lock (_gate)
        {
            if (_closing.IsCancellationRequested)
            {
                return false;
            }
            _client = client;
            _state = ConnectionState.Connected;
            _reconnectDelay?.Dispose();
            _reconnectDelay = null;
            waiting = _reconnected;
            _reconnected = null;
        }
        waiting?.TrySetResult(client);
        // Notices a server that goes away while no request is in flight, so the reconnect starts at once.
        client.Closed.ContinueWith(
            static (closed, state) =>
            {
                var (node, lost) = ((NbdNode, NbdClient))state!;
                node.Lost(lost, closed.Result);
            },
            (this, client),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return true;
    }

    /// <summary>The reconnect delay passed without a connection: the waiting requests fail, and so will later ones until it comes.</summary>
    private void ReconnectDelayPassed()
    {
        lock (_gate)
        {
            if (_state != ConnectionState.ConnectingWait)
            {
                return;
            }
            _state = ConnectionState.ConnectingNoWait;
            _reconnectDelay?.Dispose();
            _reconnectDelay = null;
            _reconnected!.TrySetResult(null);
        }
    }

    /// <summary>EIO naming the node, the server and the last reason the connection failed (called under the lock).</summary>
    private BlockIOException Unavailable() => new(
        Errno.EIO,
        $"Node '{Name}': no connection to NBD export '{_options.Export}' on {_options.Address}: {_lastFailure?.Message ?? "the node is closed"}");

    private void RequireWritable()
    {
        if (_readOnly)
        {
            throw new BlockIOException(Errno.EROFS, $"Node '{Name}' is read-only");
        }
    }
}
