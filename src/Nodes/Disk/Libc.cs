using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Nodes.Disk;

/// <summary>
/// The few Linux libc calls the disk backend needs and .NET does not expose: OFD byte-range locks,
/// fallocate, fdatasync, lseek for holes, realpath and statx. Layouts were checked against glibc's headers on x86_64
/// (sizeof(struct flock) == 32, l_start at 8, l_len at 16, l_pid at 24); aarch64 uses the same
/// generic layout. Calls that take a <see cref="SafeFileHandle"/> add a reference for the duration
/// of the call, so a concurrent Close cannot recycle the descriptor under them.
/// </summary>
internal static class Libc
{
    private const string Library = "libc.so.6";

    public const int EINTR = 4;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int ENXIO = 6;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;

    /// <summary>Open-file-description locks (Linux 3.15+): owned by the open file, not the process.</summary>
    public const int F_OFD_GETLK = 36;
    public const int F_OFD_SETLK = 37;

    public const short F_RDLCK = 0;
    public const short F_WRLCK = 1;
    public const short F_UNLCK = 2;
    public const short SEEK_SET = 0;

    /// <summary>lseek: the next offset at or after the given one that holds data (Linux 3.1+).</summary>
    public const int SEEK_DATA = 3;

    /// <summary>lseek: the next offset at or after the given one in a hole (the end of the file counts as one).</summary>
    public const int SEEK_HOLE = 4;

    /// <summary>preadv2: fail with EAGAIN instead of waiting for the disk.</summary>
    public const int RWF_NOWAIT = 0x08;

    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_BASIC_STATS = 0x7ff;
    private const int StatxSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int StatxBlocksOffset = 48;

    /// <summary><c>struct flock</c> as glibc declares it for 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
        private readonly int _padding;
    }

    /// <summary><c>struct iovec</c>.</summary>
    private readonly unsafe struct IoVec(byte* start, nuint length)
    {
        public readonly byte* Start = start;
        public readonly nuint Length = length;
    }

    /// <summary>What statx reports about one path.</summary>
    public readonly record struct FileStatus(FileKind Kind, long Size, long AllocatedBytes);

    public enum FileKind { Regular, Directory, Symlink, Other }

    // fcntl is variadic in C; passing the struct pointer as the third argument is what the
    // x86_64 and aarch64 Linux ABIs expect for a variadic pointer argument.
    [DllImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    private static extern int FcntlFlock(SafeFileHandle fd, int command, ref Flock flock);

    [DllImport(Library, EntryPoint = "preadv2", SetLastError = true)]
    private static extern unsafe nint Preadv2Native(SafeFileHandle fd, IoVec* iov, int iovcnt, long offset, int flags);

    [DllImport(Library, EntryPoint = "fallocate", SetLastError = true)]
    private static extern int FallocateNative(SafeFileHandle fd, int mode, long offset, long length);

    [DllImport(Library, EntryPoint = "lseek", SetLastError = true)]
    private static extern long LseekNative(SafeFileHandle fd, long offset, int whence);

    [DllImport(Library, EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FdatasyncNative(SafeFileHandle fd);

    [DllImport(Library, EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport(Library, EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    [DllImport(Library, EntryPoint = "statx", SetLastError = true)]
    private static extern int StatxNative(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    /// <summary>fcntl(F_OFD_SETLK / F_OFD_GETLK); returns 0 or the errno. Retries on EINTR.</summary>
    public static int Fcntl(SafeFileHandle fd, int command, ref Flock flock)
    {
        while (true)
        {
            if (FcntlFlock(fd, command, ref flock) == 0)
            {
                return 0;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>
    /// Reads what the page cache holds at <paramref name="offset"/> without waiting for the disk
    /// (preadv2 with RWF_NOWAIT): the bytes read (0 at the end of the file), or minus the errno
    /// (EAGAIN: not all cached; EOPNOTSUPP: this file system cannot tell). Retries on EINTR.
    /// </summary>
    public static unsafe long ReadCached(SafeFileHandle fd, Span<byte> buffer, long offset)
    {
        fixed (byte* start = buffer)
        {
            var iov = new IoVec(start, (nuint)buffer.Length);
            while (true)
            {
                var read = Preadv2Native(fd, &iov, 1, offset, RWF_NOWAIT);
                if (read >= 0)
                {
                    return read;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>fallocate(2); returns 0 or the errno. Retries on EINTR.</summary>
    public static int Fallocate(SafeFileHandle fd, int mode, long offset, long length)
    {
        while (true)
        {
            if (FallocateNative(fd, mode, offset, length) == 0)
            {
                return 0;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>
    /// lseek(2) with SEEK_DATA or SEEK_HOLE: the offset found, or minus the errno (ENXIO: no data
    /// at or after <paramref name="offset"/>). Moves the descriptor's file position, which no
    /// other call here uses (reads and writes are positional).
    /// </summary>
    public static long Seek(SafeFileHandle fd, long offset, int whence)
    {
        var found = LseekNative(fd, offset, whence);
        return found >= 0 ? found : -Marshal.GetLastPInvokeError();
    }

    /// <summary>fdatasync(2); returns 0 or the errno. Retries on EINTR.</summary>
    public static int Fdatasync(SafeFileHandle fd)
    {
        while (true)
        {
            if (FdatasyncNative(fd) == 0)
            {
                return 0;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
            {
                return errno;
            }
        }
    }

    /// <summary>realpath(3): the canonical absolute path with every symlink resolved, or null and the errno.</summary>
    public static string? RealPath(string path, out int errno)
    {
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        try
        {
            errno = 0;
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>statx(2) of a path, not following a final symlink; null and the errno when it fails.</summary>
    public static FileStatus? Stat(string path, out int errno)
    {
        var buffer = new byte[StatxSize];
        if (StatxNative(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset) & 0xF000;
        var kind = mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            _ => FileKind.Other,
        };
        var size = (long)BitConverter.ToUInt64(buffer, StatxSizeOffset);
        var blocks = (long)BitConverter.ToUInt64(buffer, StatxBlocksOffset);
        return new FileStatus(kind, size, blocks * 512);
    }

    /// <summary>The C library's text for an errno, e.g. "No space left on device".</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
