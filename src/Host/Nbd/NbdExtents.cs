using System.Buffers.Binary;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Nbd;

/// <summary>
/// The descriptors of one metadata context's BLOCK_STATUS reply, built extent by extent: an
/// extent with the same flags as the last one extends it (so a reply names each change once, as
/// QEMU's do), and the list closes when a new descriptor would pass its maximum. One per
/// context per pooled request, reused, so a reply allocates nothing once the array has grown.
/// </summary>
internal sealed class NbdExtents
{
    private Descriptor[] _descriptors = new Descriptor[8];
    private int _max;

    /// <summary>Descriptors so far.</summary>
    public int Count { get; private set; }

    /// <summary>False once the list is full, or when its context is not selected: later extents are not asked for.</summary>
    public bool IsOpen { get; private set; }

    /// <summary>The reply chunk this list makes: header, context id, 8 bytes per descriptor.</summary>
    public int ChunkLength => ChunkHeaderSize + 4 + (8 * Count);

    public void Reset(bool selected, int max)
    {
        Count = 0;
        _max = max;
        IsOpen = selected;
    }

    /// <summary>Adds the next extent; the extents of one request add up to at most its length, so a merged length fits 32 bits.</summary>
    public void Add(long length, uint flags)
    {
        if (!IsOpen)
        {
            return;
        }
        if (Count > 0 && _descriptors[Count - 1].Flags == flags)
        {
            _descriptors[Count - 1].Length += (uint)length;
            return;
        }
        if (Count == _max)
        {
            IsOpen = false;
            return;
        }
        if (Count == _descriptors.Length)
        {
            Array.Resize(ref _descriptors, Math.Min(_descriptors.Length * 2, MaxExtents));
        }
        _descriptors[Count++] = new Descriptor((uint)length, flags);
    }

    /// <summary>Writes the NBD_REPLY_TYPE_BLOCK_STATUS chunk into <paramref name="target"/> (<see cref="ChunkLength"/> bytes).</summary>
    public void WriteChunk(Span<byte> target, ulong handle, uint contextId, bool last)
    {
        NbdRequest.WriteChunkHeader(target, last, ReplyTypeBlockStatus, handle, ChunkLength - ChunkHeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(target[ChunkHeaderSize..], contextId);
        var at = ChunkHeaderSize + 4;
        for (var i = 0; i < Count; i++, at += 8)
        {
            BinaryPrimitives.WriteUInt32BigEndian(target[at..], _descriptors[i].Length);
            BinaryPrimitives.WriteUInt32BigEndian(target[(at + 4)..], _descriptors[i].Flags);
        }
    }

    private struct Descriptor(uint length, uint flags)
    {
        public uint Length = length;
        public readonly uint Flags = flags;
    }
}
