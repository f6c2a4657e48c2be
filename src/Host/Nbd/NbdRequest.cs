using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Nodes.Drivers;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

/// <summary>
/// One transmission request of a connection, from its header to its reply. Instances are pooled
/// per connection and carry a cached delegate for <see cref="Nodes.Runtime.GraphRuntime.RunRequestAsync{T}"/>,
/// so a request costs no closure and, for a READ or WRITE, one rented buffer for its data; the
/// reply is written straight into the connection's output (<see cref="ReplyLength"/>, then
/// <see cref="WriteReply"/>), so a READ's data is copied once whatever form its reply takes.
/// </summary>
/// <remarks>
/// With structured replies (the connection negotiated them), a READ without DF asks the node's
/// chain which parts read as zeroes and answers those with OFFSET_HOLE chunks, reading only the
/// rest; a READ with DF gets one OFFSET_DATA chunk; an error gets an ERROR chunk with a message
/// (ERROR_OFFSET where a sparse read knows the failing offset). Other successes are simple replies,
/// which the spec allows for replies without payload.
/// </remarks>
internal sealed class NbdRequest
{
    /// <summary>Error messages longer than this are cut (the protocol's limit is 4096 bytes of UTF-8).</summary>
    private const int MaxMessageChars = 1024;

    private readonly bool _structured;
    private readonly NbdMetaContexts _contexts;
    private readonly List<ReadRun> _runs = [];
    private readonly NbdExtents _allocation = new();
    private readonly NbdExtents _depth = new();
    private string? _message;
    private int _messageLength;
    private long _errorOffset;
    private long _progress;

    /// <param name="structured">The connection negotiated structured replies.</param>
    /// <param name="contexts">The metadata contexts BLOCK_STATUS answers for.</param>
    public NbdRequest(bool structured, NbdMetaContexts contexts)
    {
        _structured = structured;
        _contexts = contexts;
        Execute = ExecuteAsync;
    }

    public ushort Flags { get; private set; }

    public ushort Type { get; private set; }

    public ulong Handle { get; private set; }

    public long Offset { get; private set; }

    /// <summary>Up to <see cref="Nodes.Nbd.NbdProtocol.MaxPayload"/> for READ and WRITE; up to 4 GiB - 1 for TRIM, WRITE_ZEROES and BLOCK_STATUS.</summary>
    public uint Length { get; private set; }

    /// <summary>0, or the NBD error the reply carries (set at the edge or by the node).</summary>
    public uint Error { get; private set; }

    /// <summary>For a WRITE its payload; for a READ the data read. Rented.</summary>
    public byte[]? Buffer { get; private set; }

    /// <summary>Runs this request against a node, on the node's IoThread under its read lock.</summary>
    public Func<BlockNode, ValueTask<bool>> Execute { get; }

    /// <summary>
    /// Takes the next request's header; <paramref name="error"/> is 0, or the NBD error the edge
    /// already decided on, with <paramref name="message"/> for structured replies.
    /// </summary>
    public void Reset(ushort flags, ushort type, ulong handle, long offset, uint length, uint error, string? message)
    {
        Flags = flags;
        Type = type;
        Handle = handle;
        Offset = offset;
        Length = length;
        _runs.Clear();
        _errorOffset = -1;
        _progress = -1;
        SetError(error, message);
        Buffer = error == 0 && type is CmdRead or CmdWrite ? ArrayPool<byte>.Shared.Rent((int)length) : null;
    }

    /// <summary>Where the WRITE payload is read into, straight from the socket.</summary>
    public Memory<byte> Payload => Buffer.AsMemory(0, (int)Length);

    /// <summary>The request failed: the reply carries <paramref name="error"/> and, with structured replies, <paramref name="message"/>.</summary>
    public void Fail(uint error, string message)
    {
        SetError(error, message);
        _errorOffset = _progress;
    }

    /// <summary>The bytes <see cref="WriteReply"/> writes.</summary>
    public int ReplyLength
    {
        get
        {
            if (!_structured)
            {
                return ReplySize + (Type == CmdRead && Error == 0 ? (int)Length : 0);
            }
            if (Error != 0)
            {
                return ChunkHeaderSize + 6 + _messageLength + (_errorOffset >= 0 ? 8 : 0);
            }
            return Type switch
            {
                CmdRead when Length == 0 => ChunkHeaderSize,
                CmdRead when _runs.Count == 0 => ChunkHeaderSize + 8 + (int)Length,
                CmdRead => SparseReadLength(),
                CmdBlockStatus => ((_contexts & NbdMetaContexts.BaseAllocation) != 0 ? _allocation.ChunkLength : 0)
                    + ((_contexts & NbdMetaContexts.AllocationDepth) != 0 ? _depth.ChunkLength : 0),
                _ => ReplySize,
            };
        }
    }

    /// <summary>Writes the reply, <see cref="ReplyLength"/> bytes, into <paramref name="target"/>.</summary>
    public void WriteReply(Span<byte> target)
    {
        if (!_structured || (Error == 0 && Type is not (CmdRead or CmdBlockStatus)))
        {
            WriteSimpleHeader(target, Error, Handle);
            if (Error == 0 && Type == CmdRead)
            {
                Buffer.AsSpan(0, (int)Length).CopyTo(target[ReplySize..]);
            }
        }
        else if (Error != 0)
        {
            WriteError(target);
        }
        else if (Type == CmdBlockStatus)
        {
            var both = _contexts == NbdMetaContexts.All;
            if ((_contexts & NbdMetaContexts.BaseAllocation) != 0)
            {
                _allocation.WriteChunk(target, Handle, NbdMetaQuery.BaseAllocationId, last: !both);
                target = target[_allocation.ChunkLength..];
            }
            if ((_contexts & NbdMetaContexts.AllocationDepth) != 0)
            {
                _depth.WriteChunk(target, Handle, NbdMetaQuery.AllocationDepthId, last: true);
            }
        }
        else if (Length == 0)
        {
            WriteChunkHeader(target, last: true, ReplyTypeNone, Handle, 0);
        }
        else if (_runs.Count == 0)
        {
            WriteDataChunk(target, Offset, Buffer.AsSpan(0, (int)Length), last: true);
        }
        else
        {
            for (var i = 0; i < _runs.Count; i++)
            {
                var run = _runs[i];
                var last = i == _runs.Count - 1;
                if (run.Hole)
                {
                    WriteChunkHeader(target, last, ReplyTypeOffsetHole, Handle, 12);
                    BinaryPrimitives.WriteUInt64BigEndian(target[ChunkHeaderSize..], (ulong)(Offset + run.Start));
                    BinaryPrimitives.WriteUInt32BigEndian(target[(ChunkHeaderSize + 8)..], (uint)run.Length);
                    target = target[(ChunkHeaderSize + 12)..];
                }
                else
                {
                    WriteDataChunk(target, Offset + run.Start, Buffer.AsSpan(run.Start, run.Length), last);
                    target = target[(ChunkHeaderSize + 8 + run.Length)..];
                }
            }
        }
    }

    public void ReleaseBuffer()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
        }
    }

    /// <summary>A structured reply chunk header: magic, flags (DONE on the last chunk), type, handle, payload length.</summary>
    public static void WriteChunkHeader(Span<byte> target, bool last, ushort type, ulong handle, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(target, StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(target[4..], last ? ReplyFlagDone : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(target[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(target[8..], handle);
        BinaryPrimitives.WriteUInt32BigEndian(target[16..], (uint)payloadLength);
    }

    private static void WriteSimpleHeader(Span<byte> target, uint error, ulong handle)
    {
        BinaryPrimitives.WriteUInt32BigEndian(target, SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(target[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(target[8..], handle);
    }

    private void WriteDataChunk(Span<byte> target, long offset, ReadOnlySpan<byte> data, bool last)
    {
        WriteChunkHeader(target, last, ReplyTypeOffsetData, Handle, 8 + data.Length);
        BinaryPrimitives.WriteUInt64BigEndian(target[ChunkHeaderSize..], (ulong)offset);
        data.CopyTo(target[(ChunkHeaderSize + 8)..]);
    }

    /// <summary>ERROR, or ERROR_OFFSET when a sparse read knows where it failed: error, message length, message[, offset].</summary>
    private void WriteError(Span<byte> target)
    {
        var withOffset = _errorOffset >= 0;
        WriteChunkHeader(target, last: true, withOffset ? ReplyTypeErrorOffset : ReplyTypeError, Handle, 6 + _messageLength + (withOffset ? 8 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(target[ChunkHeaderSize..], Error);
        BinaryPrimitives.WriteUInt16BigEndian(target[(ChunkHeaderSize + 4)..], (ushort)_messageLength);
        Encoding.UTF8.GetBytes(_message, target.Slice(ChunkHeaderSize + 6, _messageLength));
        if (withOffset)
        {
            BinaryPrimitives.WriteUInt64BigEndian(target[(ChunkHeaderSize + 6 + _messageLength)..], (ulong)_errorOffset);
        }
    }

    private void SetError(uint error, string? message)
    {
        Error = error;
        _message = message is { Length: > MaxMessageChars } ? message[..MaxMessageChars] : message ?? "";
        _messageLength = error != 0 && _structured ? Encoding.UTF8.GetByteCount(_message) : 0;
    }

    private int SparseReadLength()
    {
        var length = 0;
        foreach (var run in _runs)
        {
            length += ChunkHeaderSize + (run.Hole ? 12 : 8 + run.Length);
        }
        return length;
    }

    /// <summary>
    /// The error for a request reaching past the export's end: the spec asks NBD_ENOSPC for writes
    /// (as a full disk would answer), NBD_EINVAL for the rest; QEMU answers WRITE_ZEROES as a write.
    /// </summary>
    public static uint PastTheEnd(ushort type) => type is CmdWrite or CmdWriteZeroes ? ENoSpc : EInval;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExecuteAsync(BlockNode node)
    {
        // The range is checked here, on the node's thread, against the node serving the export
        // now: a filter inserted since the handshake may not have the same length.
        if (Type != CmdFlush && (Offset > node.Length || Length > node.Length - Offset))
        {
            Fail(PastTheEnd(Type), $"request at {Offset}+{Length} is outside the export's {node.Length} bytes");
            return false;
        }
        var fua = (Flags & CmdFlagFua) != 0;
        switch (Type)
        {
            case CmdRead when _structured && (Flags & CmdFlagDf) == 0 && Length > 0:
                await ReadSparseAsync(node);
                break;
            case CmdRead:
                await node.ReadAsync(Offset, Buffer.AsMemory(0, (int)Length));
                break;
            case CmdWrite:
                await node.WriteAsync(Offset, Payload, fua);
                break;
            case CmdFlush:
                await node.FlushForFrontEndAsync();
                break;
            case CmdTrim:
                await node.DiscardAsync(Offset, Length);
                if (fua)
                {
                    await node.FlushAsync();
                }
                break;
            case CmdWriteZeroes:
                await node.WriteZeroesAsync(Offset, Length, mayUnmap: (Flags & CmdFlagNoHole) == 0);
                if (fua)
                {
                    await node.FlushAsync();
                }
                break;
            case CmdBlockStatus:
                await BlockStatusAsync(node);
                break;
        }
        return true;
    }

    /// <summary>
    /// Splits the range into runs that read as zeroes (holes, sent as OFFSET_HOLE) and runs of
    /// data, then reads each data run once. <c>_progress</c> is where a failure would be reported.
    /// </summary>
    private async ValueTask ReadSparseAsync(BlockNode node)
    {
        var end = Offset + Length;
        for (var at = Offset; at < end;)
        {
            _progress = at;
            var status = await node.ChainStatusAsync(at, end - at);
            AddRun((int)(at - Offset), (int)status.Length, status.Zero);
            at += status.Length;
        }
        for (var i = 0; i < _runs.Count; i++)
        {
            var run = _runs[i];
            if (!run.Hole)
            {
                _progress = Offset + run.Start;
                await node.ReadAsync(_progress, Buffer.AsMemory(run.Start, run.Length));
            }
        }
        _progress = -1;
    }

    private void AddRun(int start, int length, bool hole)
    {
        if (_runs.Count > 0 && _runs[^1].Hole == hole)
        {
            _runs[^1] = _runs[^1] with { Length = _runs[^1].Length + length };
        }
        else
        {
            _runs.Add(new ReadRun(start, length, hole));
        }
    }

    /// <summary>
    /// The extents of every selected context, from one walk of the chain per extent. REQ_ONE
    /// asks for one descriptor per context; without it a reply stops at <see cref="MaxExtents"/>.
    /// </summary>
    private async ValueTask BlockStatusAsync(BlockNode node)
    {
        var max = (Flags & CmdFlagReqOne) != 0 ? 1 : MaxExtents;
        _allocation.Reset((_contexts & NbdMetaContexts.BaseAllocation) != 0, max);
        _depth.Reset((_contexts & NbdMetaContexts.AllocationDepth) != 0, max);
        var end = Offset + Length;
        for (var at = Offset; at < end && (_allocation.IsOpen || _depth.IsOpen);)
        {
            var status = await node.ChainStatusAsync(at, end - at);
            _allocation.Add(status.Length, (status.Data ? 0 : StateHole) | (status.Zero ? StateZero : 0));
            _depth.Add(status.Length, (uint)status.Depth);
            at += status.Length;
        }
    }

    /// <summary>Part of a sparse READ: <paramref name="Start"/> is relative to the request's offset.</summary>
    private readonly record struct ReadRun(int Start, int Length, bool Hole);
}
