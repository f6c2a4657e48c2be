namespace Nodes.Disk;

/// <summary>How an image is opened: QEMU's <c>read-only=on|off</c>.</summary>
public enum ImageAccess
{
    /// <summary>Reads only; writes, discards and resizes are refused.</summary>
    ReadOnly,

    /// <summary>Reads, writes, discards and resizes.</summary>
    ReadWrite,
}
