namespace Nodes.Disk;

/// <summary>
/// QEMU's block permissions (BLK_PERM_* in include/block/block-common.h). The bit numbers are part
/// of the on-disk lock protocol: permission bit <c>i</c> is published on byte 100 + i ("uses it")
/// and byte 200 + i ("does not share it"), so they must never be renumbered. Bit 4 was QEMU's
/// graph-mod permission up to 6.1 and stays unused here.
/// </summary>
[Flags]
public enum BlockPermissions
{
    None = 0,

    /// <summary>Reads return what was last written (nobody changes the data behind the reader's back).</summary>
    ConsistentRead = 0x01,

    /// <summary>Writes that may change the data.</summary>
    Write = 0x02,

    /// <summary>Writes that leave the data as it was (e.g. copy-on-read).</summary>
    WriteUnchanged = 0x04,

    /// <summary>Changing the image's size.</summary>
    Resize = 0x08,

    All = ConsistentRead | Write | WriteUnchanged | Resize,
}
