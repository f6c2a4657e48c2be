using System.Buffers;
using System.Buffers.Binary;
using Nodes.Drivers;
using Nodes.Graph;
using static Host.Nbd.NbdProtocol;

namespace Host.Nbd;

internal sealed partial class NbdConnection
{
    /// <summary>
    /// Requests of one connection in flight at once. Past this the reader stops reading until one
    /// completes, so a client cannot make us hold more than this many payload buffers.
    /// </summary>
    private const int MaxInFlight = 64;

    private readonly SemaphoreSlim _slots = new(MaxInFlight, MaxInFlight);
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Stack<NbdRequest> _pool = new();
    private bool _replyFailed;

    /// <summary>
    /// The reader loop: reads a request (and a WRITE's payload), starts it, and reads the next
    /// without waiting for its reply. Replies go out as requests complete, in any order. Returns
    /// why the loop ended; in every case the in-flight requests finish before it returns.
    /// </summary>
    private async Task<string> TransmitAsync(BlockExport export)
    {
        var exportId = export.Id;
        var header = new byte[RequestSize];
        var disconnected = false;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header);
                if (BinaryPrimitives.ReadUInt32BigEndian(header) != RequestMagic)
                {
                    throw new NbdProtocolException("bad request magic");
                }
                var flags = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
                var type = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6));
                var handle = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(8));
                var offset = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(16));
                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24));
                if (type == CmdDisc)
                {
                    disconnected = true;
                    return "NBD_CMD_DISC";
                }

                var error = Validate(export.Writable, type, offset, length);
                await _slots.WaitAsync();
                var request = RentRequest();
                request.Reset(flags, type, handle, (long)offset, length, error);
                try
                {
                    if (type == CmdWrite)
                    {
                        // The payload follows the header whatever we think of the request:
                        // read it (or skip it) so the next header is where the client put it.
                        if (error == 0)
                        {
                            await _stream.ReadExactlyAsync(request.Payload);
                        }
                        else
                        {
                            await SkipAsync(length);
                        }
                    }
                }
                catch
                {
                    ReturnRequest(request);
                    _slots.Release();
                    throw;
                }
                _ = ProcessAsync(exportId, request);
            }
        }
        finally
        {
            if (!disconnected)
            {
                // Bad bytes, a vanished client or the server stopping: replies still owed would
                // only block on a client that no longer reads, so they are dropped from here on.
                Close();
            }
            // Drain: every slot back means no request is in flight any more. After NBD_CMD_DISC
            // the spec wants outstanding requests handled, so their replies still go out.
            for (var i = 0; i < MaxInFlight; i++)
            {
                await _slots.WaitAsync();
            }
        }
    }

    /// <summary>What the edge refuses before any node sees the request: 0, or the NBD error to reply with.</summary>
    private static uint Validate(bool writable, ushort type, ulong offset, uint length)
    {
        if (type is not (CmdRead or CmdWrite or CmdFlush or CmdTrim or CmdWriteZeroes))
        {
            return EInval;
        }
        if (type is CmdRead or CmdWrite && length > MaxPayload)
        {
            return EInval;
        }
        if (offset > long.MaxValue - uint.MaxValue)
        {
            return EInval;
        }
        if (type is CmdWrite or CmdTrim or CmdWriteZeroes && !writable)
        {
            return EPerm;
        }
        return 0;
    }

    /// <summary>Runs one request on the export's node (looked up now, filters may have been inserted) and replies.</summary>
    private async Task ProcessAsync(string exportId, NbdRequest request)
    {
        try
        {
            if (request.Error == 0)
            {
                await RunOnNodeAsync(exportId, request);
            }
            await ReplyAsync(request);
        }
        finally
        {
            ReturnRequest(request);
            _slots.Release();
        }
    }

    private async Task RunOnNodeAsync(string exportId, NbdRequest request)
    {
        var node = _runtime.NodeOfExport(exportId);
        if (node is null)
        {
            request.Error = EShutdown;
            return;
        }
        try
        {
            await _runtime.RunRequestAsync(node, request.Execute);
        }
        catch (BlockIOException e)
        {
            request.Error = ToNbdError(e.Errno);
        }
        catch (GraphException)
        {
            // The node was closed or deleted under the export.
            request.Error = EShutdown;
        }
        catch (Exception e)
        {
            NbdLog.RequestFailed(_logger, request.Type, node, e);
            request.Error = EIo;
        }
    }

    /// <summary>
    /// Writes one reply; replies of a connection never interleave. A failed write means the client
    /// is gone: this and every later reply of the connection is dropped, and the reader loop ends
    /// on its own read failing.
    /// </summary>
    private async Task ReplyAsync(NbdRequest request)
    {
        var reply = request.BuildReply();
        await _writer.WaitAsync();
        try
        {
            if (!_replyFailed)
            {
                await _stream.WriteAsync(reply);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _replyFailed = true;
            Close();
        }
        finally
        {
            _writer.Release();
        }
    }

    private async Task SkipAsync(uint length)
    {
        var sink = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, 1 << 20));
        try
        {
            for (long left = length; left > 0;)
            {
                var chunk = (int)Math.Min(left, sink.Length);
                await _stream.ReadExactlyAsync(sink.AsMemory(0, chunk));
                left -= chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    private NbdRequest RentRequest()
    {
        lock (_pool)
        {
            return _pool.TryPop(out var request) ? request : new NbdRequest();
        }
    }

    private void ReturnRequest(NbdRequest request)
    {
        request.ReleaseBuffer();
        lock (_pool)
        {
            _pool.Push(request);
        }
    }
}
