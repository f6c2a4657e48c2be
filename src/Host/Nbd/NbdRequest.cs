using System.Buffers;
using System.Buffers.Binary;
using Nodes.Drivers;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

/// <summary>
/// One transmission request of a connection, from its header to its reply. Instances are pooled
/// per connection and carry a cached delegate for <see cref="Nodes.Runtime.GraphRuntime.RunRequestAsync{T}"/>,
/// so a request costs no closure and, for a READ, one rented buffer that holds the reply header
/// followed by the data (one socket write per reply).
/// </summary>
internal sealed class NbdRequest
{
    private readonly byte[] _header = new byte[ReplySize];

    public NbdRequest() => Execute = ExecuteAsync;

    public ushort Flags { get; private set; }

    public ushort Type { get; private set; }

    public ulong Handle { get; private set; }

    public long Offset { get; private set; }

    /// <summary>Up to <see cref="Nodes.Nbd.NbdProtocol.MaxPayload"/> for READ and WRITE; up to 4 GiB - 1 for TRIM and WRITE_ZEROES.</summary>
    public uint Length { get; private set; }

    /// <summary>0, or the NBD error the reply carries (set at the edge or by the node).</summary>
    public uint Error { get; set; }

    /// <summary>For a WRITE its payload; for a READ the reply header followed by the data. Rented.</summary>
    public byte[]? Buffer { get; private set; }

    /// <summary>Runs this request against a node, on the node's IoThread under its read lock.</summary>
    public Func<BlockNode, ValueTask<bool>> Execute { get; }

    public void Reset(ushort flags, ushort type, ulong handle, long offset, uint length, uint error)
    {
        Flags = flags;
        Type = type;
        Handle = handle;
        Offset = offset;
        Length = length;
        Error = error;
        Buffer = error != 0 ? null
            : type == CmdRead ? ArrayPool<byte>.Shared.Rent(ReplySize + (int)length)
            : type == CmdWrite ? ArrayPool<byte>.Shared.Rent((int)length)
            : null;
    }

    /// <summary>Where the WRITE payload is read into, straight from the socket.</summary>
    public Memory<byte> Payload => Buffer.AsMemory(0, (int)Length);

    /// <summary>The simple reply for this request: header, plus the data of a successful READ.</summary>
    public ReadOnlyMemory<byte> BuildReply()
    {
        var withData = Type == CmdRead && Error == 0;
        var target = withData ? Buffer! : _header;
        WriteReplyHeader(target, Error, Handle);
        return target.AsMemory(0, withData ? ReplySize + (int)Length : ReplySize);
    }

    public void ReleaseBuffer()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
        }
    }

    private static void WriteReplyHeader(Span<byte> target, uint error, ulong handle)
    {
        BinaryPrimitives.WriteUInt32BigEndian(target, SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(target[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(target[8..], handle);
    }

    private async ValueTask<bool> ExecuteAsync(BlockNode node)
    {
        // The range is checked here, on the node's thread, against the node serving the export
        // now: a filter inserted since the handshake may not have the same length.
        if (Type != CmdFlush && (Offset > node.Length || Length > node.Length - Offset))
        {
            Error = EInval;
            return false;
        }
        var fua = (Flags & CmdFlagFua) != 0;
        switch (Type)
        {
            case CmdRead:
                await node.ReadAsync(Offset, Buffer.AsMemory(ReplySize, (int)Length));
                break;
            case CmdWrite:
                await node.WriteAsync(Offset, Payload, fua);
                break;
            case CmdFlush:
                await node.FlushAsync();
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
        }
        return true;
    }
}
