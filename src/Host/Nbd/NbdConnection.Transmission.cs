using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Actors.IoThreads;
using Nodes.Drivers;
using Nodes.Graph;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

/// <summary>
/// Transmission runs in the connection's <see cref="Strand"/>, on the loop of the IoThread that
/// holds the export's node (QEMU serves an export from its AioContext the same way), so a request
/// crosses no thread: one receive brings as many requests as the client pipelined, each runs at
/// once under the IoThread's read lock, and the replies of a batch leave in one send. When the
/// node moves to another IoThread, the strand follows it.
/// </summary>
internal sealed partial class NbdConnection
{
    /// <summary>
    /// Requests of one connection in flight at once. Past this the reader stops reading until one
    /// completes, so a client cannot make us hold more than this many payload buffers.
    /// </summary>
    private const int MaxInFlight = 64;

    /// <summary>Room for a burst of pipelined headers (and small WRITE payloads) per receive.</summary>
    private const int InputSize = 128 << 10;

    /// <summary>What the reply buffers start at, and shrink back to after a large READ.</summary>
    private const int OutputSize = 128 << 10;

    private static readonly SendOrPostCallback s_flush = static state => ((NbdConnection)state!).FlushPosted();

    private readonly Stack<NbdRequest> _pool = new();
    private readonly byte[] _input = new byte[InputSize];
    private int _inputStart;
    private int _inputEnd;
    private byte[] _output = [];
    private byte[] _spare = [];
    private int _outputLength;
    private int _inFlight;
    private bool _sending;
    private bool _flushPosted;
    private bool _replyFailed;
    private Func<NbdConnection, bool>? _readerCondition;
    private TaskCompletionSource? _readerWake;
    private volatile string _exportId = "";

    /// <summary>The export this connection transmits on, once the handshake chose one.</summary>
    public string? ExportId => _exportId is { Length: > 0 } id ? id : null;

    /// <summary>
    /// The reader loop: takes requests from the input buffer (receiving more when it runs dry),
    /// starts each, and goes on without waiting for its reply. Returns why the loop ended; in
    /// every case the in-flight requests finish and their replies are sent or dropped first.
    /// </summary>
    private async Task<string> TransmitAsync(BlockExport export)
    {
        if (_runtime.NodeOfExport(_exportId) is null)
        {
            throw new NbdProtocolException($"export '{export.Name}' was removed during the handshake");
        }
        // Rented here, where the finally below gives them back: a client that never gets this far
        // (refused in the handshake, or only listing) takes none.
        _output = ArrayPool<byte>.Shared.Rent(OutputSize);
        _spare = ArrayPool<byte>.Shared.Rent(OutputSize);
        var disconnected = false;
        try
        {
            while (true)
            {
                if (_inputEnd - _inputStart < RequestSize)
                {
                    await ReceiveMoreAsync();
                    continue;
                }
                var header = _input.AsSpan(_inputStart, RequestSize);
                if (BinaryPrimitives.ReadUInt32BigEndian(header) != RequestMagic)
                {
                    throw new NbdProtocolException("bad request magic");
                }
                var flags = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
                var type = BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
                var handle = BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
                var offset = BinaryPrimitives.ReadUInt64BigEndian(header[16..]);
                var length = BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
                _inputStart += RequestSize;
                if (type == CmdDisc)
                {
                    disconnected = true;
                    return "NBD_CMD_DISC";
                }

                var error = Validate(export.Writable, flags, type, offset, length, out var message);
                await WaitForReaderAsync(static c => c._inFlight < MaxInFlight);
                var request = RentRequest();
                request.Reset(flags, type, handle, (long)offset, length, error, message);
                _inFlight++;
                if (type == CmdWrite)
                {
                    // The payload follows the header whatever we think of the request:
                    // read it (or skip it) so the next header is where the client put it.
                    try
                    {
                        await ReadPayloadAsync(error == 0 ? request.Payload : Memory<byte>.Empty, length);
                    }
                    catch
                    {
                        _replyFailed = true;
                        Finish(request, completedLater: false);
                        throw;
                    }
                }
                _ = ProcessAsync(request);
                if (_outputLength >= OutputSize)
                {
                    // A long burst of quick requests: send while parsing on, but hold no more than
                    // two buffers of replies for a client that does not read them.
                    Flush();
                    await WaitForReaderAsync(static c => c._outputLength < OutputSize);
                }
            }
        }
        finally
        {
            if (!disconnected)
            {
                // Bad bytes, a vanished client or the server stopping: replies still owed would
                // only block on a client that no longer reads, so they are dropped from here on.
                _replyFailed = true;
                Close();
            }
            // After NBD_CMD_DISC the spec wants outstanding requests handled, so their replies still go out.
            await WaitForReaderAsync(static c => c._inFlight == 0 && !c._sending && !c._flushPosted);
            Flush();
            await WaitForReaderAsync(static c => !c._sending);
            ArrayPool<byte>.Shared.Return(_output);
            ArrayPool<byte>.Shared.Return(_spare);
        }
    }

    /// <summary>
    /// The loop of the export's node now. When the export is gone (removed, or its node closed),
    /// the connection stays where it is while that IoThread lives (its requests get their errors
    /// there), or moves to any IoThread of the host that does.
    /// </summary>
    private EventLoop? HomeLoop()
    {
        if (_runtime.NodeOfExport(_exportId) is { } node && _runtime.IoThreadOf(node) is { } io)
        {
            return io.Loop;
        }
        return _home is { } home && _runtime.HasIoThread(home.Name) ? home : _runtime.AnyIoThread()?.Loop;
    }

    /// <summary>
    /// What the edge refuses before any node sees the request: 0, or the NBD error to reply with
    /// and the <paramref name="message"/> a structured reply carries (constant strings: the
    /// request loop does not allocate for them).
    /// </summary>
    private uint Validate(bool writable, ushort flags, ushort type, ulong offset, uint length, out string? message)
    {
        (var error, message) = type switch
        {
            not (CmdRead or CmdWrite or CmdFlush or CmdTrim or CmdWriteZeroes or CmdBlockStatus) => (EInval, "unknown command"),
            CmdRead or CmdWrite when length > MaxPayload => (EInval, "request larger than the maximum block size"),
            CmdWrite or CmdTrim or CmdWriteZeroes when !writable => (EPerm, "the export is read-only"),
            _ when offset > long.MaxValue - uint.MaxValue => (NbdRequest.PastTheEnd(type), "offset out of range"),
            CmdBlockStatus when _contexts == NbdMetaContexts.None => (EInval, "BLOCK_STATUS without a metadata context selected for this export"),
            CmdBlockStatus when length == 0 => (EInval, "BLOCK_STATUS needs a non-zero length"),
            _ when (flags & ~FlagsOf(type)) != 0 => (EInval, "a command flag this command does not take"),
            _ => (0u, null),
        };
        return error;
    }

    /// <summary>
    /// The command flags <paramref name="type"/> takes here; the spec asks EINVAL for any other (as
    /// QEMU answers): FUA on every command, DF on READ once structured replies are on, NO_HOLE on
    /// WRITE_ZEROES, REQ_ONE on BLOCK_STATUS. FAST_ZERO is not offered, so never taken.
    /// </summary>
    private ushort FlagsOf(ushort type) => (ushort)(CmdFlagFua | type switch
    {
        CmdRead when _structuredReplies => CmdFlagDf,
        CmdWriteZeroes => CmdFlagNoHole,
        CmdBlockStatus => CmdFlagReqOne,
        _ => 0,
    });

    /// <summary>Sends the replies so far, then receives whatever the client has sent (at least one byte).</summary>
    private async ValueTask ReceiveMoreAsync()
    {
        var left = _inputEnd - _inputStart;
        _input.AsSpan(_inputStart, left).CopyTo(_input);
        _inputStart = 0;
        _inputEnd = left;
        Flush();
        var received = await ReceiveAsync(_input.AsMemory(_inputEnd));
        if (received == 0)
        {
            throw new EndOfStreamException("the client closed its end");
        }
        _inputEnd += received;
    }

    /// <summary>
    /// Fills <paramref name="payload"/> with the <paramref name="length"/> bytes that follow the
    /// header (from the input buffer first, then straight from the socket); an empty target skips them.
    /// </summary>
    private async ValueTask ReadPayloadAsync(Memory<byte> payload, uint length)
    {
        var buffered = (int)Math.Min(length, (uint)(_inputEnd - _inputStart));
        if (!payload.IsEmpty)
        {
            _input.AsMemory(_inputStart, buffered).CopyTo(payload);
        }
        _inputStart += buffered;
        if (buffered < length)
        {
            // The rest may take a while: the replies so far need not wait for it.
            Flush();
        }
        for (long left = length - buffered; left > 0;)
        {
            var target = !payload.IsEmpty
                ? payload[(int)(length - left)..]
                : _input.AsMemory(0, (int)Math.Min(left, InputSize));
            _inputStart = _inputEnd = 0;
            var received = await ReceiveAsync(target);
            if (received == 0)
            {
                throw new EndOfStreamException("the client closed its end inside a WRITE payload");
            }
            left -= received;
        }
    }

    /// <summary>Runs one request on the node the export serves when the request holds the read lock, and queues its reply.</summary>
    private async Task ProcessAsync(NbdRequest request)
    {
        var run = request.Error == 0 ? RunOnNodeAsync(request) : ValueTask.CompletedTask;
        var completesLater = !run.IsCompleted;
        await run;
        Finish(request, completesLater);
    }

    private async ValueTask RunOnNodeAsync(NbdRequest request)
    {
        try
        {
            await _runtime.RunExportRequestAsync(_exportId, request.Execute, CommandName(request.Type));
        }
        catch (BlockIOException e)
        {
            request.Fail(ToNbdError(e.Errno), e.Message);
        }
        catch (GraphException)
        {
            // The export was removed, or its node closed.
            request.Fail(EShutdown, "the export was removed");
        }
        catch (Exception e)
        {
            NbdLog.RequestFailed(_logger, request.Type, _exportId, e);
            request.Fail(EIo, "internal error; see the host's log");
        }
    }

    /// <summary>
    /// A request is done: its reply joins the output. The reader sends it before it next waits for
    /// the client; for a request that completed later, on its own, a flush is posted instead.
    /// </summary>
    private void Finish(NbdRequest request, bool completedLater)
    {
        AppendReply(request);
        ReturnRequest(request);
        _inFlight--;
        if (completedLater && !_flushPosted)
        {
            _flushPosted = true;
            _strand.Post(s_flush, this);
        }
        WakeReader();
    }

    /// <summary>Writes the request's reply at the end of the output, growing it when needed.</summary>
    private void AppendReply(NbdRequest request)
    {
        if (_replyFailed)
        {
            return;
        }
        var length = request.ReplyLength;
        if (_outputLength + length > _output.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(_outputLength + length);
            _output.AsSpan(0, _outputLength).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_output);
            _output = grown;
        }
        request.WriteReply(_output.AsSpan(_outputLength, length));
        _outputLength += length;
    }

    private void FlushPosted()
    {
        _flushPosted = false;
        Flush();
        WakeReader();
    }

    /// <summary>
    /// Sends the replies collected so far in one write, unless a send is under way (its end sends
    /// what gathered meanwhile). Replies of a connection never interleave.
    /// </summary>
    private void Flush()
    {
        if (_sending || _outputLength == 0)
        {
            return;
        }
        (_output, _spare) = (_spare, _output);
        var length = _outputLength;
        _outputLength = 0;
        _sending = true;
        _ = SendAsync(_spare, length);
    }

    /// <summary>
    /// A failed send means the client is gone: this and every later reply of the connection is
    /// dropped, and the reader loop ends on its own receive failing.
    /// </summary>
    private async Task SendAsync(byte[] buffer, int length)
    {
        try
        {
            for (var sent = 0; sent < length;)
            {
                sent += await SendSomeAsync(buffer.AsMemory(sent, length - sent));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // IOException: TLS wraps the socket's failure in one.
            _replyFailed = true;
            _outputLength = 0;
            Close();
        }
        if (_spare.Length > OutputSize)
        {
            ArrayPool<byte>.Shared.Return(_spare);
            _spare = ArrayPool<byte>.Shared.Rent(OutputSize);
        }
        _sending = false;
        Flush();
        WakeReader();
    }

    /// <summary>Suspends the reader until <paramref name="condition"/> holds (checked whenever a request, send or flush ends).</summary>
    private Task WaitForReaderAsync(Func<NbdConnection, bool> condition)
    {
        if (condition(this))
        {
            return Task.CompletedTask;
        }
        _readerCondition = condition;
        _readerWake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _readerWake.Task;
    }

    private void WakeReader()
    {
        if (_readerCondition is { } condition && condition(this))
        {
            _readerCondition = null;
            _readerWake!.SetResult();
        }
    }

    private NbdRequest RentRequest() => _pool.TryPop(out var request) ? request : new NbdRequest(_structuredReplies, _contexts);

    private void ReturnRequest(NbdRequest request)
    {
        request.ReleaseBuffer();
        _pool.Push(request);
    }
}
