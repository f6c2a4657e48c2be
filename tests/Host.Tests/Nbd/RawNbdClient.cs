using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Host.Tests.Nbd;

/// <summary>
/// A bare NBD client on a socket, for what real clients never send: bad bytes, refused
/// requests, disconnecting with requests in flight, and option sequences compared byte for byte.
/// </summary>
public sealed class RawNbdClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawNbdClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static Task<RawNbdClient> ConnectAsync(string socketPath) => ConnectAsync(new UnixDomainSocketEndPoint(socketPath));

    /// <summary>Connects to <paramref name="endpoint"/> (a Unix socket or TCP) and reads the server's greeting.</summary>
    public static async Task<RawNbdClient> ConnectAsync(EndPoint endpoint)
    {
        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        var client = new RawNbdClient(socket);
        var greeting = await client.ReadAsync(18);
        Assert.Equal(0x4e42444d41474943UL, BinaryPrimitives.ReadUInt64BigEndian(greeting));
        Assert.Equal(0x49484156454F5054UL, BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)));
        return client;
    }

    /// <summary>This end of the connection: what the server's log calls the client, over TCP.</summary>
    public EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>Client flags, then NBD_OPT_GO for <paramref name="name"/>; returns the transmission flags.</summary>
    public async Task<ushort> GoAsync(string name)
    {
        await SendClientFlagsAsync();
        return await GoAgainAsync(name);
    }

    /// <summary>The client flags that open option haggling: FIXED_NEWSTYLE | NO_ZEROES.</summary>
    public Task SendClientFlagsAsync()
    {
        var flags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(flags, 3);
        return WriteAsync(flags);
    }

    /// <summary>Sends option <paramref name="option"/> with <paramref name="data"/> and reads its replies up to the ACK or the first error.</summary>
    public async Task<List<(uint Type, byte[] Payload)>> OptionAsync(uint option, byte[] data)
    {
        var message = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, 0x49484156454F5054UL);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)data.Length);
        data.CopyTo(message, 16);
        await WriteAsync(message);
        return await ReadOptionRepliesAsync(option);
    }

    /// <summary>Reads the replies to option <paramref name="option"/> up to the ACK or the first error.</summary>
    public async Task<List<(uint Type, byte[] Payload)>> ReadOptionRepliesAsync(uint option)
    {
        var replies = new List<(uint Type, byte[] Payload)>();
        while (true)
        {
            var header = await ReadAsync(20);
            Assert.Equal(option, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)));
            var type = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            replies.Add((type, await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16)))));
            if (type == 1 || (type & 0x80000000) != 0)
            {
                return replies;
            }
        }
    }

    /// <summary>The data of NBD_OPT_LIST/SET_META_CONTEXT: export name, then the queries, each with its length.</summary>
    public static byte[] MetaContextData(string export, params string[] queries)
    {
        var parts = new List<byte>();
        void AddString(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            parts.AddRange([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            parts.AddRange(bytes);
        }
        AddString(export);
        parts.AddRange([(byte)(queries.Length >> 24), (byte)(queries.Length >> 16), (byte)(queries.Length >> 8), (byte)queries.Length]);
        foreach (var query in queries)
        {
            AddString(query);
        }
        return [.. parts];
    }

    /// <summary>Reads one structured reply chunk: flags, type, handle and payload.</summary>
    public async Task<(ushort Flags, ushort Type, ulong Handle, byte[] Payload)> ReadChunkAsync()
    {
        var header = await ReadAsync(20);
        Assert.Equal(0x668e33efu, BinaryPrimitives.ReadUInt32BigEndian(header));
        var payload = await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16)));
        return (BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6)),
            BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8)), payload);
    }

    /// <summary>
    /// NBD_OPT_GO for <paramref name="name"/> (after an earlier option failed); returns the
    /// transmission flags, or throws with the error reply's type.
    /// </summary>
    public async Task<ushort> GoAgainAsync(string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var message = new byte[16 + 4 + nameBytes.Length + 2];
        BinaryPrimitives.WriteUInt64BigEndian(message, 0x49484156454F5054UL);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), 7); // NBD_OPT_GO
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)(4 + nameBytes.Length + 2));
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(16), (uint)nameBytes.Length);
        nameBytes.CopyTo(message, 20);
        await WriteAsync(message);
        ushort flags = 0;
        while (true)
        {
            var header = await ReadAsync(20);
            var type = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            var payload = await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16)));
            if ((type & 0x80000000) != 0)
            {
                throw new InvalidOperationException($"NBD_OPT_GO failed: 0x{type:x} {Encoding.UTF8.GetString(payload)}");
            }
            if (type == 1)
            {
                return flags;
            }
            Assert.Equal(3u, type); // NBD_REP_INFO
            if (BinaryPrimitives.ReadUInt16BigEndian(payload) == 0)
            {
                flags = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(10));
            }
        }
    }

    public async Task SendRequestAsync(ushort type, ulong handle, ulong offset, uint length, byte[]? payload = null, ushort flags = 0)
    {
        var header = new byte[28 + (payload?.Length ?? 0)];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x25609513);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), length);
        payload?.CopyTo(header, 28);
        await WriteAsync(header);
    }

    /// <summary>Reads one simple reply header: its error and handle.</summary>
    public async Task<(uint Error, ulong Handle)> ReadReplyAsync()
    {
        var reply = await ReadAsync(16);
        Assert.Equal(0x67446698u, BinaryPrimitives.ReadUInt32BigEndian(reply));
        return (BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(4)), BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(8)));
    }

    public Task WriteAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public async Task<byte[]> ReadAsync(int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        await _stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>True when the server closes the connection (within the bounded wait), whatever it sent before.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        var sink = new byte[4096];
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        try
        {
            while (await _stream.ReadAsync(sink, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Drops the connection at once (RST-like for the server: its writes fail).</summary>
    public void Abort() => _socket.Close(0);

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
