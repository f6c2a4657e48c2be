using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Nodes.Nbd;
using static Nodes.Nbd.NbdProtocol;
using Step = Host.Tests.Nbd.NbdFuzzStep;

namespace Host.Tests.Nbd;

/// <summary>
/// Runs one <see cref="NbdFuzzCase"/> on a connection of its own and compares every answer of the
/// server with the one the case expects. Bytes the client sends are gathered and go out when it
/// next waits for an answer, so pipelined requests leave in one write.
/// </summary>
public sealed class NbdFuzzSession : IAsyncDisposable
{
    private readonly string _socketPath;
    private readonly NbdFuzzCase _case;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly MemoryStream _pending = new();
    private readonly Dictionary<ulong, Step.Request> _requests = [];
    private readonly Dictionary<ulong, Reply> _replies = [];
    private bool _structured;
    private bool _serverClosed;
    private byte[]? _slot;

    private NbdFuzzSession(string socketPath, NbdFuzzCase @case, Socket socket)
    {
        _socketPath = socketPath;
        _case = @case;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>
    /// Runs <paramref name="case"/>. Returns what differed from the expected answers (null when
    /// nothing did), and what the case's slot holds afterwards (null when the case did not touch it).
    /// </summary>
    public static async Task<(string? Failure, byte[]? Slot)> RunAsync(string socketPath, NbdFuzzCase @case)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            return ($"the server took no new connection: {e.Message}", null);
        }
        await using var session = new NbdFuzzSession(socketPath, @case, socket);
        var step = 0;
        try
        {
            var greeting = await session.ReadAsync(18);
            Check(BinaryPrimitives.ReadUInt64BigEndian(greeting) == NbdMagic && BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) == IHaveOpt, "bad greeting");
            for (; step < @case.Steps.Length; step++)
            {
                await session.RunAsync(@case.Steps[step]);
            }
            return (null, session._slot);
        }
        catch (Exception e) when (e is Mismatch or IOException or SocketException or OperationCanceledException or NbdClientException)
        {
            var what = e switch
            {
                Mismatch => e.Message,
                OperationCanceledException => $"no answer within {NbdHost.Timeout.TotalSeconds:0} s",
                _ => $"the connection failed: {e.Message}",
            };
            return ($"step {step + 1} of {@case.Steps.Length} ({Describe(@case.Steps[Math.Min(step, @case.Steps.Length - 1)])}): {what}", session._slot);
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    private async Task RunAsync(Step step)
    {
        switch (step)
        {
            case Step.Send send:
                _pending.Write(send.Bytes);
                break;
            case Step.Request request:
                _requests[request.Handle] = request;
                var header = new byte[RequestSize];
                BinaryPrimitives.WriteUInt32BigEndian(header, RequestMagic);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), request.Flags);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), request.Command);
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), request.Handle);
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), request.Offset);
                BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), request.Length);
                _pending.Write(header);
                _pending.Write(request.Payload ?? []);
                break;
            case Step.ExpectOption expect:
                await FlushAsync();
                await ExpectOptionAsync(expect);
                break;
            case Step.ExpectExportName expect:
                await FlushAsync();
                var answer = await ReadAsync(10);
                Check(BinaryPrimitives.ReadInt64BigEndian(answer) == expect.Size, $"NBD_OPT_EXPORT_NAME answered size {BinaryPrimitives.ReadInt64BigEndian(answer)}, expected {expect.Size}");
                break;
            case Step.ExpectReply expect:
                await FlushAsync();
                await ExpectReplyAsync(expect);
                break;
            case Step.ExpectClose expect:
                await FlushAsync();
                await ExpectCloseAsync(expect.Drain);
                break;
            case Step.HalfClose:
                await FlushAsync();
                HalfClose();
                break;
            case Step.Hangup:
                await FlushAsync();
                _socket.Close(0);
                break;
            case Step.CheckSlot check:
                await CheckSlotAsync(check);
                break;
        }
    }

    /// <summary>Sends what the steps gathered. A server that closed meanwhile is noted: only an expected close excuses it.</summary>
    private async Task FlushAsync()
    {
        if (_pending.Length == 0 || _serverClosed)
        {
            return;
        }
        try
        {
            await _stream.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length));
        }
        catch (IOException)
        {
            _serverClosed = true;
        }
        _pending.SetLength(0);
    }

    private void HalfClose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            _serverClosed = true;
        }
    }

    private async Task ExpectOptionAsync(Step.ExpectOption expect)
    {
        var contexts = 0;
        while (true)
        {
            var header = await ReadAsync(20, "an option reply");
            Check(BinaryPrimitives.ReadUInt64BigEndian(header) == OptionReplyMagic, "bad option reply magic");
            var option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            var type = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12));
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
            Check(option == expect.Option, $"a reply for option {option}, expected one for {NbdFuzzGenerator.OptionName(expect.Option)}");
            Check(length <= MaxOptionLength, $"an option reply of {length} bytes");
            var payload = await ReadAsync((int)length, "an option reply's data");
            if (type == RepMetaContext)
            {
                contexts++;
                continue;
            }
            if (type is RepInfo or RepServer)
            {
                continue;
            }
            var message = (type & 0x80000000) != 0 && payload.Length > 0 ? $" \"{Encoding.UTF8.GetString(payload)}\"" : "";
            Check(expect.Finals.Contains(type), $"{NbdFuzzGenerator.OptionName(option)} answered {ReplyName(type)}{message}, expected {string.Join(" or ", expect.Finals.Select(ReplyName))}");
            if (type == RepAck && expect.Contexts is { } expected)
            {
                Check(contexts == expected, $"{contexts} META_CONTEXT replies before the ACK, expected {expected}");
            }
            if (option == OptStructuredReply && type == RepAck)
            {
                _structured = true;
            }
            return;
        }
    }

    private async Task ExpectReplyAsync(Step.ExpectReply expect)
    {
        while (!_replies.TryGetValue(expect.Handle, out var done) || !done.Done)
        {
            await ReadReplyAsync();
        }
        var reply = _replies[expect.Handle];
        var request = _requests[expect.Handle];
        var name = CommandName(request.Command);
        Check(expect.Errors.Contains(reply.Error), $"{name} answered {ErrorName(reply.Error)}{(reply.Message is { } m ? $" \"{m}\"" : "")}, expected {string.Join(" or ", expect.Errors.Select(ErrorName))}");
        if (reply.Error == 0 && expect.Data is { } data)
        {
            Check(reply.Data.AsSpan().SequenceEqual(data), $"{name} at {request.Offset}+{request.Length} returned other data than was written there");
        }
        if (reply.Error == 0 && expect.Lands is { } lands)
        {
            _slot = lands;
        }
    }

    /// <summary>Reads one simple reply or one structured reply chunk, and files it under its handle.</summary>
    private async Task ReadReplyAsync()
    {
        var start = await ReadAsync(4, "a reply");
        var magic = BinaryPrimitives.ReadUInt32BigEndian(start);
        if (magic == SimpleReplyMagic)
        {
            var rest = await ReadAsync(12, "a reply");
            var error = BinaryPrimitives.ReadUInt32BigEndian(rest);
            var request = RequestOf(BinaryPrimitives.ReadUInt64BigEndian(rest.AsSpan(4)));
            var data = request.Command == CmdRead && error == 0 ? await ReadAsync((int)request.Length, "READ data") : [];
            _replies[request.Handle] = new Reply(error, data, null, Done: true);
            return;
        }
        Check(magic == StructuredReplyMagic && _structured, $"reply magic 0x{magic:x8}{(_structured ? "" : " without structured replies")}");
        var chunk = await ReadAsync(16, "a chunk header");
        var flags = BinaryPrimitives.ReadUInt16BigEndian(chunk);
        var type = BinaryPrimitives.ReadUInt16BigEndian(chunk.AsSpan(2));
        var handle = BinaryPrimitives.ReadUInt64BigEndian(chunk.AsSpan(4));
        var length = BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(12));
        var requestOf = RequestOf(handle);
        Check(length <= MaxPayload + 1024, $"a chunk of {length} bytes");
        var payload = await ReadAsync((int)length, "a chunk's payload");
        var reply = _replies.TryGetValue(handle, out var sofar) ? sofar : new Reply(0, [], null, false);
        Check(!reply.Done, $"a chunk for handle {handle} after its last one");
        if (type is ReplyTypeOffsetData or ReplyTypeOffsetHole && reply.Data.Length == 0)
        {
            Check(requestOf.Command == CmdRead && requestOf.Length <= MaxPayload, $"data for {CommandName(requestOf.Command)} of {requestOf.Length} bytes");
            reply = reply with { Data = new byte[requestOf.Length] };
        }
        switch (type)
        {
            case ReplyTypeNone:
                Check(length == 0, "a NONE chunk with a payload");
                break;
            case ReplyTypeOffsetData when requestOf.Command == CmdRead:
                var at = (long)BinaryPrimitives.ReadUInt64BigEndian(payload) - (long)requestOf.Offset;
                Check(at >= 0 && at + length - 8 <= requestOf.Length, "an OFFSET_DATA chunk outside the READ");
                payload.AsSpan(8).CopyTo(reply.Data.AsSpan((int)at));
                break;
            case ReplyTypeOffsetHole when requestOf.Command == CmdRead:
                var holeAt = (long)BinaryPrimitives.ReadUInt64BigEndian(payload) - (long)requestOf.Offset;
                var holeLength = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(8));
                Check(holeAt >= 0 && holeAt + holeLength <= requestOf.Length, "an OFFSET_HOLE chunk outside the READ");
                reply.Data.AsSpan((int)holeAt, (int)holeLength).Clear();
                break;
            case ReplyTypeBlockStatus when requestOf.Command == CmdBlockStatus:
                Check(length >= 12 && (length - 4) % 8 == 0, $"a BLOCK_STATUS chunk of {length} bytes");
                Check((requestOf.Flags & CmdFlagReqOne) == 0 || length == 12, "more than one extent with REQ_ONE");
                break;
            case ReplyTypeError or ReplyTypeErrorOffset:
                var messageLength = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(4));
                Check(6 + messageLength + (type == ReplyTypeErrorOffset ? 8 : 0) == length, "an error chunk whose message length does not fit it");
                reply = reply with { Error = BinaryPrimitives.ReadUInt32BigEndian(payload), Message = Encoding.UTF8.GetString(payload, 6, messageLength) };
                Check(reply.Error != 0, "an error chunk with error 0");
                break;
            default:
                throw new Mismatch($"a chunk of type {type} for {CommandName(requestOf.Command)}");
        }
        _replies[handle] = reply with { Done = (flags & ReplyFlagDone) != 0 };
    }

    private Step.Request RequestOf(ulong handle) =>
        _requests.TryGetValue(handle, out var request) ? request : throw new Mismatch($"a reply for handle {handle}, which no request had");

    private async Task ExpectCloseAsync(bool drain)
    {
        if (_serverClosed)
        {
            return;
        }
        var sink = new byte[4096];
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(sink, timeout.Token)) > 0)
            {
                Check(drain, $"{read} more bytes where the server should have closed the connection");
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // The server closed with our bytes unread: Linux resets a Unix socket's peer then.
        }
    }

    private async Task CheckSlotAsync(Step.CheckSlot check)
    {
        await using var client = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), NbdFuzzGenerator.Disk, 1, CancellationToken.None);
        var data = new byte[NbdFuzzGenerator.SlotSize];
        await client.ReadAsync(_case.Slot, data);
        Check(check.Contents.Any(c => c.AsSpan().SequenceEqual(data)), "the slot holds data that was never acknowledged");
        _slot = data;
    }

    private Task<byte[]> ReadAsync(int count) => ReadAsync(count, "the greeting");

    private async Task<byte[]> ReadAsync(int count, string what)
    {
        if (_serverClosed)
        {
            throw new Mismatch($"the server closed the connection before taking all we sent, where {what} was expected");
        }
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        try
        {
            await _stream.ReadExactlyAsync(buffer, timeout.Token);
        }
        catch (EndOfStreamException)
        {
            throw new Mismatch($"the server closed the connection where {what} was expected");
        }
        return buffer;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new Mismatch(what);
        }
    }

    private static string Describe(Step step) => step switch
    {
        Step.Send send => $"send {send.Bytes.Length} bytes",
        Step.Request r => $"{CommandName(r.Command)} handle {r.Handle} flags 0x{r.Flags:x4} at {r.Offset}+{r.Length}",
        Step.ExpectOption o => $"expect {string.Join(" or ", o.Finals.Select(ReplyName))} to {NbdFuzzGenerator.OptionName(o.Option)}",
        Step.ExpectReply r => $"expect {string.Join(" or ", r.Errors.Select(ErrorName))} for handle {r.Handle}",
        Step.ExpectClose => "expect the server to close",
        _ => step.GetType().Name,
    };

    public static string ReplyName(uint type) => type switch
    {
        RepAck => "NBD_REP_ACK",
        RepErrUnsup => "NBD_REP_ERR_UNSUP",
        RepErrPolicy => "NBD_REP_ERR_POLICY",
        RepErrInvalid => "NBD_REP_ERR_INVALID",
        RepErrUnknown => "NBD_REP_ERR_UNKNOWN",
        RepErrTooBig => "NBD_REP_ERR_TOO_BIG",
        _ => $"reply type 0x{type:x}",
    };

    private static string ErrorName(uint error) => error == 0 ? "success" : NbdClientException.ErrorName(error);

    /// <summary>A request's reply as it came: simple, or gathered from its chunks.</summary>
    private sealed record Reply(uint Error, byte[] Data, string? Message, bool Done);

    private sealed class Mismatch(string message) : Exception(message);
}
