namespace Nodes.Disk;

/// <summary>One image in a data dir.</summary>
/// <param name="Name">Path relative to the data dir, '/'-separated, e.g. "vm1/disk.img".</param>
/// <param name="Size">Virtual size in bytes (the file's length).</param>
/// <param name="AllocatedBytes">Bytes the file system has allocated for it; smaller than Size when sparse.</param>
public sealed record ImageInfo(string Name, long Size, long AllocatedBytes);
