namespace Nodes.Disk;

/// <summary>Whether an open takes QEMU-compatible byte-range locks: QEMU's <c>locking=on|off|auto</c>.</summary>
public enum ImageLocking
{
    /// <summary>Lock when the kernel and file system offer OFD locks, otherwise open unlocked.</summary>
    Auto,

    /// <summary>Always lock; an open fails when OFD locks are unavailable.</summary>
    On,

    /// <summary>Never lock: another process (QEMU included) may write the image at the same time.</summary>
    Off,
}
