namespace Nodes.Runtime;

/// <summary>
/// The ways the graph, the drivers and the disk refuse what they are asked (a node that cannot
/// be opened, a change the graph's rules forbid): answered to the asker in its own terms, never
/// a crash. Anything else (an <see cref="InvalidOperationException"/> from a broken invariant, a
/// timeout, a null reference) is a bug or a host in trouble, and propagates unchanged.
/// </summary>
public static class Refusal
{
    /// <summary>True when <paramref name="e"/> is a refusal, not a bug.</summary>
    public static bool Is(Exception e) => e is
        Graph.GraphException // the graph's rules: an unknown driver or child, a name in use, a missing IoThread
        or Disk.ImagePathException // an image path that leaves host.images-dir or is no regular file
        or IOException // a missing image, an image locked by QEMU or another node (ImageLockedException), a bad image (BlockIOException)
        or UnauthorizedAccessException // an image file this process may not open as asked
        or NotSupportedException // locking=on where the file system has no OFD locks
        or ArgumentException; // a bad driver option value
}
