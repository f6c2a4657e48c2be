namespace Nodes.Disk;

/// <summary>Why an open was refused by an image lock.</summary>
public enum ImageLockConflict
{
    /// <summary>
    /// Another holder does not share a permission this open needs (QEMU: <c>Failed to get "write" lock</c>);
    /// e.g. a running QEMU guest holds the image and does not let others write.
    /// </summary>
    PermissionNotShared,

    /// <summary>
    /// Another holder uses a permission this open does not share (QEMU: <c>Failed to get shared "write" lock</c>);
    /// e.g. qemu-io has the image open for writing.
    /// </summary>
    PermissionInUse,

    /// <summary>The image is already open on this host (or still closing); open it once and share the <see cref="ImageFile"/>.</summary>
    OpenOnThisHost,
}
