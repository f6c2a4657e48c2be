namespace Nodes.Disk;

/// <summary>
/// An image could not be opened because another process (typically QEMU) or another open on this
/// host holds it in a way that conflicts with the requested access. The message carries QEMU's
/// own wording (<c>Failed to get "write" lock</c>) and says what the other holder has.
/// </summary>
public sealed class ImageLockedException : IOException
{
    public ImageLockedException(string imageName, string imagePath, ImageLockConflict conflict, BlockPermissions permission)
        : base(Describe(imageName, imagePath, conflict, permission))
    {
        ImageName = imageName;
        ImagePath = imagePath;
        Conflict = conflict;
        Permission = permission;
    }

    /// <summary>The image's name: relative to the images dir when the backend is confined, else as given.</summary>
    public string ImageName { get; }

    /// <summary>The image's real path on this host.</summary>
    public string ImagePath { get; }

    /// <summary>What kind of conflict refused the open.</summary>
    public ImageLockConflict Conflict { get; }

    /// <summary>The permission in conflict (None for <see cref="ImageLockConflict.OpenOnThisHost"/>).</summary>
    public BlockPermissions Permission { get; }

    private static string Describe(string imageName, string imagePath, ImageLockConflict conflict, BlockPermissions permission)
    {
        var name = permission.ToQemuName();
        return conflict switch
        {
            ImageLockConflict.PermissionNotShared =>
                $"Image '{imageName}' is locked: Failed to get \"{name}\" lock: another process (e.g. QEMU) holds the image " +
                $"and does not share the \"{name}\" permission. Is another process using the image [{imagePath}]?",
            ImageLockConflict.PermissionInUse =>
                $"Image '{imageName}' is locked: Failed to get shared \"{name}\" lock: another process (e.g. QEMU) holds the image " +
                $"with the \"{name}\" permission. Is another process using the image [{imagePath}]?",
            _ =>
                $"Image '{imageName}' is already open on this host [{imagePath}]; close it before opening it again.",
        };
    }
}
