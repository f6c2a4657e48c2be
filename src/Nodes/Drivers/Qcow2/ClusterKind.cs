namespace Nodes.Drivers.Qcow2;

/// <summary>What an L2 entry says about one guest cluster.</summary>
public enum ClusterKind
{
    /// <summary>Not in this image: read from the backing node, zeroes without one.</summary>
    Unallocated,

    /// <summary>Reads as zeroes, no host cluster (qemu-io's <c>write -z</c> on an unallocated cluster).</summary>
    ZeroPlain,

    /// <summary>Reads as zeroes, with a host cluster kept for it (preallocated zeroes).</summary>
    ZeroAllocated,

    /// <summary>Its data is in a host cluster of the image file.</summary>
    Data,

    /// <summary>A compressed cluster: this driver neither reads nor writes it.</summary>
    Compressed,
}
