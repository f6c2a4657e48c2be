namespace Nodes.Disk;

/// <summary>QEMU's names for permissions, as they appear in its lock error messages.</summary>
public static class BlockPermissionNames
{
    /// <summary>Number of permission bits in the lock protocol.</summary>
    internal const int Count = 4;

    /// <summary>"consistent read", "write", "write unchanged", "resize", comma-separated for several bits.</summary>
    public static string ToQemuName(this BlockPermissions permissions)
    {
        var names = new List<string>(Count);
        if (permissions.HasFlag(BlockPermissions.ConsistentRead))
        {
            names.Add("consistent read");
        }
        if (permissions.HasFlag(BlockPermissions.Write))
        {
            names.Add("write");
        }
        if (permissions.HasFlag(BlockPermissions.WriteUnchanged))
        {
            names.Add("write unchanged");
        }
        if (permissions.HasFlag(BlockPermissions.Resize))
        {
            names.Add("resize");
        }
        return string.Join(", ", names);
    }
}
