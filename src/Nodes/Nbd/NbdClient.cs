using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Runtime.CompilerServices;
using System.Text;
using static Nodes.Nbd.NbdProtocol;

namespace Nodes.Nbd;

/// <summary>
/// One NBD client connection (NetworkBlockDevice/nbd doc/proto.md): the fixed newstyle handshake
/// with NBD_OPT_GO (after NBD_OPT_STARTTLS and a TLS handshake when asked to), then pipelined
/// READ, WRITE, FLUSH, TRIM and WRITE_ZEROES with simple replies.
/// Up to <c>maxInFlight</c> requests are on the wire at once; replies come back in any order and
/// are matched by handle. Requests reuse their slots, so one in flight allocates nothing of its
/// own. The demo drives it directly; the <c>nbd</c> driver (<see cref="Drivers.NbdNode"/>)
/// reconnects it.
/// </summary>
/// <remarks>
/// Thread-safe: any number of callers may issue requests at once, and each resumes in its own
/// synchronisation context (a node's on its IoThread). When the connection fails (the server
/// closed it, or sent bytes the protocol does not allow) every request in flight and every later
/// one fails with an <see cref="NbdClientException"/> saying why, and <see cref="Closed"/> completes.
/// </remarks>
public sealed class NbdClient : IAsyncDisposable
{
    private readonly Socket _socket;
    // The socket's stream, or once TLS started the SslStream over it.
    private Stream _stream;
    private readonly string _export;
    private readonly NbdClientRequest[] _slots;
    private readonly Stack<NbdClientRequest> _free;
    private readonly SemaphoreSlim _freeSlots;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly byte[] _requestHeader = new byte[RequestSize];
    private readonly TaskCompletionSource<NbdClientException> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Guards the slots' InFlight flags and _failure: a request is either failed by a broken
    // connection or sees the failure before it is sent, never neither.
    private readonly Lock _gate = new();
    private NbdClientException? _failure;
    private bool _disconnecting;
    private bool _disposed;
    private Task _receiving = Task.CompletedTask;

    private NbdClient(Socket socket, string export, int maxInFlight)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _export = export;
        _slots = [.. Enumerable.Range(0, maxInFlight).Select(i => new NbdClientRequest(i))];
        _free = new Stack<NbdClientRequest>(_slots);
        _freeSlots = new SemaphoreSlim(maxInFlight, maxInFlight);
    }

    /// <summary>The export's size in bytes, as the server announced it.</summary>
    public long Size { get; private set; }

    /// <summary>The export's transmission flags (NBD_FLAG_READ_ONLY, NBD_FLAG_SEND_FLUSH, ...).</summary>
    public ushort TransmissionFlags { get; private set; }

    /// <summary>The server refuses writes to this export.</summary>
    public bool IsReadOnly => Offers(TxReadOnly);

    /// <summary>The server takes NBD_CMD_FLUSH; without it, it writes through and a flush has nothing to do.</summary>
    public bool CanFlush => Offers(TxSendFlush);

    /// <summary>The server takes NBD_CMD_FLAG_FUA on writes.</summary>
    public bool CanFua => Offers(TxSendFua);

    /// <summary>The server takes NBD_CMD_TRIM.</summary>
    public bool CanTrim => Offers(TxSendTrim);

    /// <summary>The server takes NBD_CMD_WRITE_ZEROES.</summary>
    public bool CanWriteZeroes => Offers(TxSendWriteZeroes);

    /// <summary>Completes, with the reason, once the connection has failed or was disconnected.</summary>
    public Task<NbdClientException> Closed => _closed.Task;

    /// <summary>Connects to <paramref name="endpoint"/> (TCP or Unix socket) and selects <paramref name="export"/> with NBD_OPT_GO.</summary>
    /// <exception cref="NbdClientException">
    /// No server listens there (<see cref="NbdFailure.ConnectionLost"/>, in QEMU's words:
    /// <c>Failed to connect to '/run/nbd.sock': No such file or directory</c>), the server refused
    /// the export, or it is not a fixed-newstyle NBD server.
    /// </exception>
    public static Task<NbdClient> ConnectAsync(EndPoint endpoint, string export, int maxInFlight, CancellationToken cancellationToken) =>
        ConnectAsync(endpoint, export, maxInFlight, tls: null, cancellationToken);

    /// <summary>
    /// Connects as <see cref="ConnectAsync(EndPoint, string, int, CancellationToken)"/>; with
    /// <paramref name="tls"/>, starts TLS (NBD_OPT_STARTTLS) before any other option, so nothing
    /// but the greeting crosses in plain text.
    /// </summary>
    /// <exception cref="NbdClientException">
    /// As without TLS; and, as <see cref="NbdFailure.ProtocolViolation"/> (a new connection would
    /// fare no better), a server that refuses TLS, a failed TLS handshake (a certificate the CA did
    /// not sign, a name that does not match), or a server that requires TLS we were not given.
    /// </exception>
    public static async Task<NbdClient> ConnectAsync(EndPoint endpoint, string export, int maxInFlight, SslClientAuthenticationOptions? tls, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        var socket = endpoint switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            // A host name: the socket resolves it and tries its addresses, IPv6 and IPv4.
            DnsEndPoint => new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
            _ => new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true },
        };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new NbdClientException(ConnectFailure(endpoint, e), NbdFailure.ConnectionLost, inner: e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new NbdClient(socket, export, maxInFlight);
        try
        {
            await client.HandshakeAsync(tls, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            await client._stream.DisposeAsync();
            throw e as NbdClientException
                ?? new NbdClientException($"NBD export '{export}': the server closed the connection in the handshake: {e.Message}", NbdFailure.ConnectionLost, inner: e);
        }
        catch
        {
            await client._stream.DisposeAsync();
            throw;
        }
        client._receiving = client.ReceiveAsync();
        return client;
    }

    /// <summary>NBD_CMD_READ of <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>.</summary>
    public ValueTask ReadAsync(long offset, Memory<byte> buffer) =>
        RequestAsync(CmdRead, 0, offset, (uint)buffer.Length, ReadOnlyMemory<byte>.Empty, buffer);

    /// <summary>NBD_CMD_WRITE of <paramref name="data"/> at <paramref name="offset"/>; with <paramref name="fua"/> (the server must offer it) on stable storage when this completes.</summary>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua = false) =>
        RequestAsync(CmdWrite, fua ? CmdFlagFua : (ushort)0, offset, (uint)data.Length, data, Memory<byte>.Empty);

    /// <summary>NBD_CMD_FLUSH: completes once every write the server acknowledged before it is on stable storage.</summary>
    public ValueTask FlushAsync() => RequestAsync(CmdFlush, 0, 0, 0, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty);

    /// <summary>NBD_CMD_TRIM of <paramref name="length"/> bytes (under 4 GiB) at <paramref name="offset"/>.</summary>
    public ValueTask TrimAsync(long offset, uint length) =>
        RequestAsync(CmdTrim, 0, offset, length, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty);

    /// <summary>NBD_CMD_WRITE_ZEROES of <paramref name="length"/> bytes (under 4 GiB); without <paramref name="mayUnmap"/> the server must keep them allocated (NBD_CMD_FLAG_NO_HOLE).</summary>
    public ValueTask WriteZeroesAsync(long offset, uint length, bool mayUnmap, bool fua = false) =>
        RequestAsync(CmdWriteZeroes, (ushort)((mayUnmap ? 0 : CmdFlagNoHole) | (fua ? CmdFlagFua : 0)), offset, length, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty);

    /// <summary>
    /// Sends one request and completes with its reply: <paramref name="type"/> (NBD_CMD_READ,
    /// ...) with <paramref name="flags"/> (NBD_CMD_FLAG_FUA, ...), a WRITE's
    /// <paramref name="payload"/>, a READ's <paramref name="readBuffer"/> (filled before this
    /// completes). The buffers must stay untouched until then.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RequestAsync(ushort type, ushort flags, long offset, uint length, ReadOnlyMemory<byte> payload, Memory<byte> readBuffer)
    {
        await _freeSlots.WaitAsync();
        NbdClientRequest slot;
        lock (_gate)
        {
            slot = _free.Pop();
            if (_failure is not null)
            {
                _free.Push(slot);
                _freeSlots.Release();
                throw _failure;
            }
            slot.Prepare(type, offset, length, readBuffer);
            slot.InFlight = true;
        }
        try
        {
            try
            {
                await SendAsync(type, flags, slot.Handle, offset, length, payload);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new NbdClientException($"NBD export '{_export}': sending {CommandName(type)} at offset {offset} failed: {e.Message}", NbdFailure.ConnectionLost, inner: e));
            }
            await slot.Completion;
        }
        finally
        {
            lock (_gate)
            {
                _free.Push(slot);
            }
            _freeSlots.Release();
        }
    }

    /// <summary>Sends NBD_CMD_DISC once the requests in flight are answered, and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        for (var i = 0; i < _slots.Length; i++)
        {
            await _freeSlots.WaitAsync();
        }
        bool open;
        lock (_gate)
        {
            _disconnecting = true;
            open = _failure is null;
        }
        if (open)
        {
            try
            {
                await SendAsync(CmdDisc, flags: 0, handle: 0, offset: 0, length: 0, ReadOnlyMemory<byte>.Empty);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new NbdClientException($"NBD export '{_export}': sending NBD_CMD_DISC failed: {e.Message}", NbdFailure.ConnectionLost, inner: e));
            }
            // The server closes its end after NBD_CMD_DISC: the receiver ends on that.
            await _receiving;
        }
        await _stream.DisposeAsync();
    }

    /// <summary>A failed connect in QEMU's words: <c>Failed to connect to '/run/nbd.sock': No such file or directory</c>.</summary>
    private static string ConnectFailure(EndPoint endpoint, SocketException e) => (endpoint, e.SocketErrorCode) switch
    {
        (DnsEndPoint dns, SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData) => $"address resolution failed for {dns.Host}:{dns.Port}: {e.Message}",
        // .NET reports connect()'s ENOENT for a socket path that does not exist as EADDRNOTAVAIL.
        (UnixDomainSocketEndPoint unix, SocketError.AddressNotAvailable) => $"Failed to connect to '{unix}': No such file or directory",
        (DnsEndPoint dns, _) => $"Failed to connect to '{dns.Host}:{dns.Port}': {e.Message}",
        _ => $"Failed to connect to '{endpoint}': {e.Message}",
    };

    private bool Offers(ushort flag) => (TransmissionFlags & flag) != 0;

    private async Task SendAsync(ushort type, ushort flags, ulong handle, long offset, uint length, ReadOnlyMemory<byte> payload)
    {
        await _sending.WaitAsync();
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(_requestHeader, RequestMagic);
            BinaryPrimitives.WriteUInt16BigEndian(_requestHeader.AsSpan(4), flags);
            BinaryPrimitives.WriteUInt16BigEndian(_requestHeader.AsSpan(6), type);
            BinaryPrimitives.WriteUInt64BigEndian(_requestHeader.AsSpan(8), handle);
            BinaryPrimitives.WriteUInt64BigEndian(_requestHeader.AsSpan(16), (ulong)offset);
            BinaryPrimitives.WriteUInt32BigEndian(_requestHeader.AsSpan(24), length);
            await _stream.WriteAsync(_requestHeader);
            if (!payload.IsEmpty)
            {
                await _stream.WriteAsync(payload);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// The receiver: reads each reply header, finds the request by its handle, reads a READ's data
    /// into the caller's buffer, and completes the request. Ends when the connection does.
    /// </summary>
    private async Task ReceiveAsync()
    {
        var header = new byte[ReplySize];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header);
                if (BinaryPrimitives.ReadUInt32BigEndian(header) != SimpleReplyMagic)
                {
                    throw new NbdClientException($"NBD export '{_export}': bad reply magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8}", NbdFailure.ProtocolViolation);
                }
                var error = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var handle = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                var slot = InFlight(handle);
                if (error == 0 && slot.Type == CmdRead)
                {
                    await _stream.ReadExactlyAsync(slot.ReadBuffer);
                }
                lock (_gate)
                {
                    slot.InFlight = false;
                }
                if (error == 0)
                {
                    slot.Succeed();
                }
                else
                {
                    slot.Fail(new NbdClientException(
                        $"NBD export '{_export}': {CommandName(slot.Type)} at offset {slot.Offset} ({slot.Length} bytes) failed with {NbdClientException.ErrorName(error)}",
                        NbdFailure.Refused,
                        error));
                }
            }
        }
        catch (NbdClientException e)
        {
            Fail(e);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Fail(new NbdClientException($"NBD export '{_export}': the connection ended: {e.Message}", NbdFailure.ConnectionLost, inner: e));
        }
    }

    private NbdClientRequest InFlight(ulong handle)
    {
        var index = (int)(uint)handle;
        lock (_gate)
        {
            return index < _slots.Length && _slots[index] is { InFlight: true } slot && slot.Handle == handle
                ? slot
                : throw new NbdClientException($"NBD export '{_export}': reply for unknown handle 0x{handle:x16}", NbdFailure.ProtocolViolation);
        }
    }

    /// <summary>Fails every request in flight, and every later one, with <paramref name="error"/> (the first failure wins).</summary>
    private void Fail(NbdClientException error)
    {
        List<NbdClientRequest> failed;
        NbdClientException failure;
        lock (_gate)
        {
            failure = _failure ??= _disconnecting ? new NbdClientException($"NBD export '{_export}': disconnected", NbdFailure.ConnectionLost) : error;
            failed = [.. _slots.Where(s => s.InFlight)];
            foreach (var slot in failed)
            {
                slot.InFlight = false;
            }
        }
        foreach (var slot in failed)
        {
            slot.Fail(failure);
        }
        _socket.Dispose();
        _closed.TrySetResult(failure);
    }

    private async Task HandshakeAsync(SslClientAuthenticationOptions? tls, CancellationToken cancellationToken)
    {
        var greeting = new byte[18];
        await _stream.ReadExactlyAsync(greeting, cancellationToken);
        if (BinaryPrimitives.ReadUInt64BigEndian(greeting) != NbdMagic || BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) != IHaveOpt)
        {
            throw new NbdClientException("not a newstyle NBD server (bad greeting)", NbdFailure.ProtocolViolation);
        }
        var serverFlags = BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
        if ((serverFlags & FlagFixedNewstyle) == 0)
        {
            throw new NbdClientException("the NBD server does not speak fixed newstyle", NbdFailure.ProtocolViolation);
        }
        var clientFlags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(clientFlags, FlagFixedNewstyle | (uint)(serverFlags & FlagNoZeroes));
        await _stream.WriteAsync(clientFlags, cancellationToken);
        if (tls is not null)
        {
            await StartTlsAsync(tls, cancellationToken);
        }

        // NBD_OPT_GO: u32 name length, name, u16 number of information requests (none).
        var name = Encoding.UTF8.GetBytes(_export);
        var go = new byte[4 + name.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(go, (uint)name.Length);
        name.CopyTo(go, 4);
        await SendOptionAsync(OptGo, go, cancellationToken);

        var announced = false;
        while (true)
        {
            var (type, payload) = await ReadOptionReplyAsync(OptGo, "NBD_OPT_GO", cancellationToken);
            if (type == RepErrTlsReqd)
            {
                throw new NbdClientException($"NBD export '{_export}': the server requires TLS (give the node tls-creds): {Encoding.UTF8.GetString(payload)}", NbdFailure.ProtocolViolation);
            }
            if ((type & 0x80000000) != 0)
            {
                // A server starting up may not have the export yet: a later connection may get it.
                throw new NbdClientException($"NBD export '{_export}': NBD_OPT_GO refused (0x{type:x8}): {Encoding.UTF8.GetString(payload)}", NbdFailure.ConnectionLost);
            }
            if (type == RepInfo && payload.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(payload) == InfoExport)
            {
                Size = (long)BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(2));
                TransmissionFlags = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(10));
                announced = true;
            }
            else if (type == RepAck)
            {
                // The spec: a server MUST send NBD_INFO_EXPORT before it acknowledges NBD_OPT_GO.
                if (!announced)
                {
                    throw new NbdClientException($"NBD export '{_export}': NBD_OPT_GO acknowledged without NBD_INFO_EXPORT", NbdFailure.ProtocolViolation);
                }
                return;
            }
        }
    }

    /// <summary>NBD_OPT_STARTTLS, then the TLS handshake; from here on <see cref="_stream"/> is the TLS stream.</summary>
    private async Task StartTlsAsync(SslClientAuthenticationOptions tls, CancellationToken cancellationToken)
    {
        await SendOptionAsync(OptStartTls, [], cancellationToken);
        var (type, payload) = await ReadOptionReplyAsync(OptStartTls, "NBD_OPT_STARTTLS", cancellationToken);
        if (type != RepAck || payload.Length != 0)
        {
            // QEMU's client gives up here too: falling back to plain text is what an attacker would want.
            throw new NbdClientException($"NBD export '{_export}': the server rejected the request to start TLS (0x{type:x8}): {Encoding.UTF8.GetString(payload)}", NbdFailure.ProtocolViolation);
        }
        var secure = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await secure.AuthenticateAsClientAsync(tls, cancellationToken);
        }
        catch (AuthenticationException e)
        {
            await secure.DisposeAsync();
            throw new NbdClientException($"NBD export '{_export}': TLS handshake failed: {e.Message}", NbdFailure.ProtocolViolation, inner: e);
        }
        _stream = secure;
    }

    /// <summary>An option request: the magic, <paramref name="option"/>, and its <paramref name="data"/>.</summary>
    private async Task SendOptionAsync(uint option, byte[] data, CancellationToken cancellationToken)
    {
        var message = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)data.Length);
        data.CopyTo(message, 16);
        await _stream.WriteAsync(message, cancellationToken);
    }

    /// <summary>One reply to <paramref name="option"/> (<paramref name="name"/> in errors): its type and payload.</summary>
    private async Task<(uint Type, byte[] Payload)> ReadOptionReplyAsync(uint option, string name, CancellationToken cancellationToken)
    {
        var reply = new byte[20];
        await _stream.ReadExactlyAsync(reply, cancellationToken);
        var length = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(16));
        if (BinaryPrimitives.ReadUInt64BigEndian(reply) != OptionReplyMagic || BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(8)) != option || length > MaxOptionLength)
        {
            throw new NbdClientException($"NBD export '{_export}': malformed reply to {name}", NbdFailure.ProtocolViolation);
        }
        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload, cancellationToken);
        return (BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(12)), payload);
    }
}
