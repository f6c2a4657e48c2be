namespace Nodes.Drivers.Qcow2;

/// <summary>
/// Consecutive guest bytes of one <see cref="ClusterKind"/> inside one L2 table, with host
/// clusters (if any) contiguous in the image file: one request to the file or the backing serves them.
/// </summary>
/// <param name="Kind">What the clusters are.</param>
/// <param name="HostOffset">For <see cref="ClusterKind.Data"/> and <see cref="ClusterKind.ZeroAllocated"/>: where the run's first byte is in the file; 0 otherwise.</param>
/// <param name="Length">The run's length in bytes, at least 1.</param>
/// <param name="Writable">The host clusters have refcount 1 (the COPIED flag): they may be written in place.</param>
public readonly record struct ClusterRun(ClusterKind Kind, long HostOffset, long Length, bool Writable);
