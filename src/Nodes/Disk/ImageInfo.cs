namespace Nodes.Disk;

/// <summary>One image of a disk backend.</summary>
/// <param name="Name">Its name: relative to the images dir, '/'-separated (e.g. "vm1/disk.img"), when the backend is confined, else as given.</param>
/// <param name="Size">Virtual size in bytes (the file's length).</param>
/// <param name="AllocatedBytes">Bytes the file system has allocated for it; smaller than Size when sparse.</param>
public sealed record ImageInfo(string Name, long Size, long AllocatedBytes);
