namespace Nodes.Drivers.Qcow2;

/// <summary>The bits of qcow2 L1 and L2 entries (host-endian here; big-endian on disk).</summary>
public static class L2Entry
{
    /// <summary>The host offset in an L1 or standard L2 entry (bits 9 to 55).</summary>
    public const ulong OffsetMask = 0x00ff_ffff_ffff_fe00;

    /// <summary>The host cluster's refcount is exactly 1, so it may be written in place.</summary>
    public const ulong Copied = 1UL << 63;

    public const ulong CompressedFlag = 1UL << 62;

    /// <summary>The cluster reads as zeroes (version 3).</summary>
    public const ulong ZeroFlag = 1;

    public static ClusterKind KindOf(ulong entry)
    {
        if ((entry & CompressedFlag) != 0)
        {
            return ClusterKind.Compressed;
        }
        var allocated = (entry & OffsetMask) != 0;
        if ((entry & ZeroFlag) != 0)
        {
            return allocated ? ClusterKind.ZeroAllocated : ClusterKind.ZeroPlain;
        }
        return allocated ? ClusterKind.Data : ClusterKind.Unallocated;
    }

    /// <summary>The host offset of an entry whose kind has one.</summary>
    public static long HostOffset(ulong entry) => (long)(entry & OffsetMask);

    /// <summary>An entry for a host cluster this driver just wrote (refcount 1).</summary>
    public static ulong ForData(long hostOffset) => (ulong)hostOffset | Copied;
}
