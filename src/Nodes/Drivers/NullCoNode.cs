namespace Nodes.Drivers;

/// <summary>
/// QEMU's <c>null-co</c>: no storage. Writes are dropped; reads return zeroes. Options:
/// <c>size</c> (default 1G), <c>read-zeroes</c> (what block status reports, as QEMU's).
/// </summary>
/// <remarks>
/// QEMU leaves a read's buffer as it is without <c>read-zeroes=on</c> (its default in 7.2, for
/// benchmarks). Here the buffer of an NBD read comes from a pool the server's connections share,
/// and may hold another client's data: it is always cleared, which costs a 4 KiB read about
/// 0.1 µs.
/// </remarks>
public sealed class NullCoNode(NodeSettings settings) : BlockNode(settings)
{
    private readonly bool _readZeroes = settings.GetBool("read-zeroes", false);

    public override long Length { get; } = settings.GetSize("size", 1L << 30);

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        buffer.Span.Clear();
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
