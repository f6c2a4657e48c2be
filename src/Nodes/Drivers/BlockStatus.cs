namespace Nodes.Drivers;

/// <summary>
/// The answer of <see cref="BlockNode.BlockStatusAsync"/> for one node (QEMU's
/// <c>bdrv_co_block_status</c>): the first extent of a range, and what reads of it return.
/// </summary>
/// <param name="Length">The extent's length in bytes, at least 1.</param>
/// <param name="Data">Reads come from stored data (QEMU's BDRV_BLOCK_DATA); false for a hole, a zero cluster or a range the node does not hold.</param>
/// <param name="Zero">Reads return zeroes (BDRV_BLOCK_ZERO). Neither flag set: the node cannot tell (null-co without read-zeroes).</param>
/// <param name="Allocated">
/// The node answers reads of the extent itself, with data or zeroes, rather than its backing
/// chain (BDRV_BLOCK_ALLOCATED): a zero cluster counts, an unallocated qcow2 cluster does not.
/// </param>
public readonly record struct BlockStatus(long Length, bool Data, bool Zero, bool Allocated)
{
    /// <summary>Stored data this node holds.</summary>
    public static BlockStatus Stored(long length) => new(length, Data: true, Zero: false, Allocated: true);

    /// <summary>Zeroes this node answers for itself (a file's hole, a zero cluster).</summary>
    public static BlockStatus Zeroes(long length) => new(length, Data: false, Zero: true, Allocated: true);
}
