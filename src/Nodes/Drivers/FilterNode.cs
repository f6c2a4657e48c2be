namespace Nodes.Drivers;

/// <summary>
/// A filter: one <c>file</c> child it passes every request to. Override only what the filter
/// changes (throttle delays, copy-on-read copies, a fault injector fails); the rest forwards.
/// </summary>
public abstract class FilterNode(NodeSettings settings) : BlockNode(settings)
{
    public override long Length => File.Length;

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer) => File.ReadAsync(offset, buffer);

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua) => File.WriteAsync(offset, data, fua);

    public override ValueTask FlushAsync() => File.FlushAsync();

    public override ValueTask DiscardAsync(long offset, long length) => File.DiscardAsync(offset, length);

    public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap) => File.WriteZeroesAsync(offset, length, mayUnmap);

    /// <summary>A filter holds no data of its own: the status is its child's.</summary>
    public override ValueTask<BlockStatus> BlockStatusAsync(long offset, long length) => File.BlockStatusAsync(offset, length);

    /// <summary>Reads fall through to the child, which counts as the next layer (QEMU counts filters in the allocation depth too).</summary>
    public override BlockNode? FilteredOrBacking => File;

    public override ValueTask TruncateAsync(long length) => File.TruncateAsync(length);
}
