using Nodes.Drivers;

namespace Nodes.Tests.Samples;

/// <summary>A protocol node over a byte array (option <c>size</c>): a custom driver, and a file stand-in for tests.</summary>
public sealed class MemoryNode(NodeSettings settings, int size) : BlockNode(settings)
{
    public MemoryNode(NodeSettings settings)
        : this(settings, checked((int)settings.GetSize("size", 1 << 20)))
    {
    }

    public byte[] Bytes { get; } = new byte[size];

    public override long Length => Bytes.Length;

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        Bytes.AsSpan((int)offset, buffer.Length).CopyTo(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        data.Span.CopyTo(Bytes.AsSpan((int)offset));
        return ValueTask.CompletedTask;
    }

    public override ValueTask FlushAsync() => ValueTask.CompletedTask;

    public override ValueTask DiscardAsync(long offset, long length) => WriteZeroesAsync(offset, length, true);

    public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        Bytes.AsSpan((int)offset, (int)length).Clear();
        return ValueTask.CompletedTask;
    }
}
