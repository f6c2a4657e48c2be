namespace Nodes.Drivers;

/// <summary>
/// QEMU's <c>null-co</c>: no storage. Writes are dropped; reads return zeroes when
/// <c>read-zeroes=on</c> and leave the buffer as it is otherwise (QEMU's default in 7.2,
/// for benchmarks). Options: <c>size</c> (default 1G), <c>read-zeroes</c>.
/// </summary>
public sealed class NullCoNode(NodeSettings settings) : BlockNode(settings)
{
    private readonly bool _readZeroes = settings.GetBool("read-zeroes", false);

    public override long Length { get; } = settings.GetSize("size", 1L << 30);

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        if (_readZeroes)
        {
            buffer.Span.Clear();
        }
        return ValueTask.CompletedTask;
    }

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        return ValueTask.CompletedTask;
    }

    public override ValueTask FlushAsync() => ValueTask.CompletedTask;

    public override ValueTask DiscardAsync(long offset, long length)
    {
        CheckRange(offset, length);
        return ValueTask.CompletedTask;
    }

    public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// As QEMU's null-co answers: zeroes it holds with <c>read-zeroes=on</c>; otherwise neither
    /// data nor zeroes, not allocated (reads return whatever the buffer held).
    /// </summary>
    public override ValueTask<BlockStatus> BlockStatusAsync(long offset, long length)
    {
        CheckStatusRange(offset, length);
        return ValueTask.FromResult(new BlockStatus(Math.Min(length, Length - offset), Data: false, Zero: _readZeroes, Allocated: _readZeroes));
    }
}
