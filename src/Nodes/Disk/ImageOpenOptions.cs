namespace Nodes.Disk;

/// <summary>
/// How <see cref="DiskBackend.Open"/> opens an image. The permissions an open takes and refuses
/// to share follow from these options (see <see cref="UsedPermissions"/> and
/// <see cref="SharedPermissions"/>) and are published to other processes as QEMU's lock bytes.
/// </summary>
/// <param name="Access">Read-only or read-write.</param>
/// <param name="Locking">QEMU's <c>locking=</c> option.</param>
/// <param name="ForceShare">
/// QEMU's <c>force-share=on</c> (<c>qemu-io -U</c>): a read-only open that shares every
/// permission, so it neither blocks nor is blocked by a writer. Its reads may see the image change.
/// </param>
public sealed record ImageOpenOptions(
    ImageAccess Access = ImageAccess.ReadWrite,
    ImageLocking Locking = ImageLocking.Auto,
    bool ForceShare = false)
{
    /// <summary>Read-write with locking: the engine is the image's only writer.</summary>
    public static ImageOpenOptions ReadWrite { get; } = new(ImageAccess.ReadWrite);

    /// <summary>Read-only with locking: other readers are welcome, writers are refused.</summary>
    public static ImageOpenOptions ReadOnly { get; } = new(ImageAccess.ReadOnly);

    /// <summary>
    /// What this open uses: consistent reads always; write and resize when read-write
    /// (resize because <see cref="ImageFile.Resize"/> is offered on a read-write image).
    /// </summary>
    public BlockPermissions UsedPermissions => Access == ImageAccess.ReadWrite
        ? BlockPermissions.ConsistentRead | BlockPermissions.Write | BlockPermissions.Resize
        : BlockPermissions.ConsistentRead;

    /// <summary>
    /// What this open lets others use at the same time. Like a QEMU guest device with
    /// <c>share-rw=off</c> (and qemu-img's own opens), an open shares reads and unchanging
    /// writes but not writes or resizes: the data an engine exports must not change under it.
    /// <see cref="ForceShare"/> shares everything.
    /// </summary>
    public BlockPermissions SharedPermissions => ForceShare
        ? BlockPermissions.All
        : BlockPermissions.ConsistentRead | BlockPermissions.WriteUnchanged;

    /// <summary>Throws when the combination cannot be honoured, as QEMU refuses it.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Access))
        {
            throw new ArgumentOutOfRangeException(nameof(Access), Access, "Unknown image access mode.");
        }
        if (!Enum.IsDefined(Locking))
        {
            throw new ArgumentOutOfRangeException(nameof(Locking), Locking, "Unknown locking mode.");
        }
        if (ForceShare && Access == ImageAccess.ReadWrite)
        {
            throw new ArgumentException("force-share=on can only be used with read-only images", nameof(ForceShare));
        }
    }
}
