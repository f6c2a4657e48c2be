using System.Runtime.CompilerServices;

namespace Nodes.Drivers;

public abstract partial class BlockNode
{
    /// <summary>
    /// The layer below this node that reads fall through to where this node holds nothing itself
    /// (QEMU's <c>bdrv_filter_or_cow_bs</c>): a format's backing, a filter's child; null at the
    /// bottom of a chain.
    /// </summary>
    public virtual BlockNode? FilteredOrBacking => null;

    /// <summary>
    /// The range's first extent as a read through this node sees it (QEMU's
    /// <c>bdrv_block_status_above</c> with no base): this node's own answer where it holds the
    /// extent, else the answer of the first layer below that does, and its depth. A layer shorter
    /// than the offset holds the zeroes a read past its end returns, as QEMU counts them.
    /// Completes without allocating when every layer answers at once.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ChainStatus> ChainStatusAsync(long offset, long length)
    {
        var status = Checked(this, await BlockStatusAsync(offset, length), length);
        var depth = 1;
        for (var layer = FilteredOrBacking; !status.Allocated && layer is not null; layer = layer.FilteredOrBacking)
        {
            depth++;
            status = offset >= layer.Length
                ? BlockStatus.Zeroes(status.Length)
                : Checked(layer, await layer.BlockStatusAsync(offset, status.Length), status.Length);
        }
        return new ChainStatus(status.Length, status.Data, status.Zero, status.Allocated ? depth : 0);
    }

    /// <summary>Callers loop on the answer's length: an empty or overlong extent from a custom node would hang or overrun them.</summary>
    private static BlockStatus Checked(BlockNode node, BlockStatus status, long asked) =>
        status.Length >= 1 && status.Length <= asked
            ? status
            : throw new InvalidOperationException($"Node '{node.Name}' answered block status with an extent of {status.Length} bytes for a query of {asked}");
}
