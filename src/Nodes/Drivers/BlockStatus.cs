namespace Nodes.Drivers;

/// <summary>The answer of <see cref="BlockNode.BlockStatusAsync"/>: the first extent of a range.</summary>
/// <param name="Allocated">The extent's data is in this node (a zero cluster counts), not in its backing chain.</param>
/// <param name="Length">The extent's length in bytes, at least 1.</param>
public readonly record struct BlockStatus(bool Allocated, long Length);
