namespace Nodes.Drivers;

/// <summary>
/// The answer of <see cref="BlockNode.ChainStatusAsync"/>: an extent as a read through a node
/// sees it, down the node's backing chain (QEMU's <c>bdrv_block_status_above</c> with no base).
/// </summary>
/// <param name="Length">The extent's length in bytes, at least 1.</param>
/// <param name="Data">Reads come from stored data somewhere in the chain.</param>
/// <param name="Zero">Reads return zeroes.</param>
/// <param name="Depth">
/// Which layer answers reads of the extent: 1 the node asked, 2 the layer below it (its backing,
/// or a filter's child), and so on; 0 when no layer does (QEMU's <c>qemu:allocation-depth</c>).
/// </param>
public readonly record struct ChainStatus(long Length, bool Data, bool Zero, int Depth);
