using Microsoft.Win32.SafeHandles;

namespace Nodes.Disk;

/// <summary>
/// QEMU's image-locking protocol (block/file-posix.c), spoken with Linux OFD byte-range locks so a
/// QEMU process and this engine see each other's opens.
///
/// Every open publishes, with a shared (read) lock on one byte each:
/// <list type="bullet">
/// <item>byte <see cref="PermBase"/> + i for each permission bit i it <em>uses</em>;</item>
/// <item>byte <see cref="SharedBase"/> + i for each permission bit i it does <em>not share</em>.</item>
/// </list>
/// Then it tests (F_OFD_GETLK with a write lock, which any other open's read lock blocks):
/// <list type="bullet">
/// <item>byte SharedBase + i for each bit it uses: held means someone refuses to share it
/// (QEMU: <c>Failed to get "write" lock</c>);</item>
/// <item>byte PermBase + i for each bit it does not share: held means someone uses it
/// (QEMU: <c>Failed to get shared "write" lock</c>).</item>
/// </list>
/// Our own locks never show up in the test: OFD locks of one open file description do not conflict
/// with each other, while two opens of the same file (even in one process) are two descriptions.
/// Locks are only ever shared, so taking them never fails because of a mere co-user.
///
/// Why publish before testing. Two openers A and B that conflict, racing:
/// Case 1: A publishes and tests before B publishes. A sees nothing and succeeds; B then publishes,
///         tests, sees A's bytes and fails.
/// Case 2: both publish before either tests. Both see the other and both fail (and unlock); neither
///         is left believing it is alone. A retry resolves it.
/// Testing first and locking second would let both pass their tests and then both lock: two writers.
/// </summary>
internal static class ImageLock
{
    /// <summary>First "uses permission" byte. QEMU leaves bytes below 100 to libvirt.</summary>
    public const int PermBase = 100;

    /// <summary>First "does not share permission" byte.</summary>
    public const int SharedBase = 200;

    private const int End = SharedBase + BlockPermissionNames.Count;

    /// <summary>True when F_OFD_GETLK works on this file (Linux 3.15+ and a file system with POSIX locks).</summary>
    public static bool IsSupported(SafeFileHandle handle, string imageName)
    {
        var probe = Range(Libc.F_WRLCK, PermBase, 1);
        var errno = Libc.Fcntl(handle, Libc.F_OFD_GETLK, ref probe);
        return errno switch
        {
            0 => true,
            Libc.EINVAL or Libc.ENOSYS or Libc.EOPNOTSUPP => false,
            _ => throw new IOException($"Image '{imageName}': probing for OFD locks failed: {Libc.Describe(errno)}"),
        };
    }

    /// <summary>
    /// Publishes <paramref name="used"/> and the complement of <paramref name="shared"/>, then checks
    /// that no other open conflicts. On failure the caller must <see cref="Release"/> (or close the handle).
    /// </summary>
    /// <exception cref="ImageLockedException">Another open holds the image in a conflicting way.</exception>
    public static void Acquire(SafeFileHandle handle, string imageName, string imagePath, BlockPermissions used, BlockPermissions shared)
    {
        var unshared = BlockPermissions.All & ~shared;

        // Step 1: publish what we use and what we refuse to share.
        for (var i = 0; i < BlockPermissionNames.Count; i++)
        {
            var bit = (BlockPermissions)(1 << i);
            if (used.HasFlag(bit))
            {
                LockByte(handle, imageName, imagePath, PermBase + i, bit);
            }
            if (unshared.HasFlag(bit))
            {
                LockByte(handle, imageName, imagePath, SharedBase + i, bit);
            }
        }

        // Step 2: look for others, in QEMU's order (its first complaint is the one users know).
        for (var i = 0; i < BlockPermissionNames.Count; i++)
        {
            var bit = (BlockPermissions)(1 << i);
            if (used.HasFlag(bit) && IsHeldByOthers(handle, imageName, SharedBase + i, 1))
            {
                throw new ImageLockedException(imageName, imagePath, ImageLockConflict.PermissionNotShared, bit);
            }
        }
        for (var i = 0; i < BlockPermissionNames.Count; i++)
        {
            var bit = (BlockPermissions)(1 << i);
            if (unshared.HasFlag(bit) && IsHeldByOthers(handle, imageName, PermBase + i, 1))
            {
                throw new ImageLockedException(imageName, imagePath, ImageLockConflict.PermissionInUse, bit);
            }
        }
    }

    /// <summary>
    /// Finds any other open (of any process) holding one of QEMU's lock bytes on the file, and
    /// says what the first one found holds; null when nobody holds the image.
    /// </summary>
    public static (ImageLockConflict Conflict, BlockPermissions Permission)? FindHolder(SafeFileHandle handle, string imageName)
    {
        var test = Range(Libc.F_WRLCK, PermBase, End - PermBase);
        var errno = Libc.Fcntl(handle, Libc.F_OFD_GETLK, ref test);
        if (errno != 0)
        {
            throw new IOException($"Image '{imageName}': failed to test lock bytes: {Libc.Describe(errno)}");
        }
        if (test.Type == Libc.F_UNLCK)
        {
            return null;
        }
        return test.Start >= SharedBase
            ? (ImageLockConflict.PermissionNotShared, ToPermission(test.Start - SharedBase))
            : (ImageLockConflict.PermissionInUse, ToPermission(test.Start - PermBase));
    }

    /// <summary>
    /// Drops every lock byte this open holds. Closing the descriptor does the same; doing it first
    /// means a Close that races an in-flight request (which keeps the descriptor alive a little
    /// longer) does not keep other processes out.
    /// </summary>
    public static void Release(SafeFileHandle handle)
    {
        var unlock = Range(Libc.F_UNLCK, PermBase, End - PermBase);
        _ = Libc.Fcntl(handle, Libc.F_OFD_SETLK, ref unlock);
    }

    private static void LockByte(SafeFileHandle handle, string imageName, string imagePath, int offset, BlockPermissions bit)
    {
        var request = Range(Libc.F_RDLCK, offset, 1);
        var errno = Libc.Fcntl(handle, Libc.F_OFD_SETLK, ref request);
        if (errno is Libc.EAGAIN or Libc.EACCES)
        {
            // Someone holds this byte exclusively; QEMU itself never does, but the byte is taken all the same.
            throw new ImageLockedException(imageName, imagePath,
                offset >= SharedBase ? ImageLockConflict.PermissionInUse : ImageLockConflict.PermissionNotShared, bit);
        }
        if (errno != 0)
        {
            throw new IOException($"Image '{imageName}': failed to lock byte {offset}: {Libc.Describe(errno)}");
        }
    }

    private static bool IsHeldByOthers(SafeFileHandle handle, string imageName, int offset, int length)
    {
        var test = Range(Libc.F_WRLCK, offset, length);
        var errno = Libc.Fcntl(handle, Libc.F_OFD_GETLK, ref test);
        if (errno != 0)
        {
            throw new IOException($"Image '{imageName}': failed to test lock bytes {offset}..{offset + length - 1}: {Libc.Describe(errno)}");
        }
        return test.Type != Libc.F_UNLCK;
    }

    private static BlockPermissions ToPermission(long bit) =>
        bit is >= 0 and < BlockPermissionNames.Count ? (BlockPermissions)(1 << (int)bit) : BlockPermissions.None;

    private static Libc.Flock Range(short type, long start, long length) =>
        new() { Type = type, Whence = Libc.SEEK_SET, Start = start, Length = length, Pid = 0 };
}
