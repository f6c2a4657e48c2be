using System.Runtime.InteropServices;

namespace Actors.IoThreads;

/// <summary>
/// The io_uring system calls and layouts <see cref="IoRing"/> uses, called directly (no liburing).
/// Numbers and offsets are the kernel's uapi (include/uapi/linux/io_uring.h); the three system
/// call numbers are the same on every Linux architecture. <c>syscall(2)</c> is variadic in C;
/// on x86_64 and aarch64 Linux its integer arguments travel in the same registers as a
/// non-variadic call's, and glibc's implementation only moves them into place.
/// </summary>
internal static unsafe class IoUringNative
{
    public const long SetupCall = 425;
    public const long EnterCall = 426;
    public const long RegisterCall = 427;

    public const byte OpFsync = 3;
    public const byte OpRead = 22;
    public const byte OpWrite = 23;

    public const uint FsyncDataSync = 1;
    public const uint EnterGetEvents = 1;
    public const uint RegisterEventFd = 4;

    /// <summary>One mapping serves both rings (5.4+).</summary>
    public const uint FeatureSingleMmap = 1 << 0;

    /// <summary>Completions are never dropped when the completion ring is full (5.5+).</summary>
    public const uint FeatureNoDrop = 1 << 1;

    /// <summary>Arrived with IORING_OP_READ and IORING_OP_WRITE (5.6): the opcodes this ring sends exist.</summary>
    public const uint FeatureRwCurPos = 1 << 3;

    public const long SqRingOffset = 0;
    public const long CqRingOffset = 0x8000000;
    public const long SqesOffset = 0x10000000;

    public const int SqeSize = 64;
    public const int CqeSize = 16;

    /// <summary><c>struct io_uring_params</c>: 40 bytes of scalars, then the SQ and CQ ring offsets (40 bytes each).</summary>
    public const int ParamsSize = 120;
    public const int ParamsSqEntries = 0;
    public const int ParamsCqEntries = 4;
    public const int ParamsFeatures = 20;
    public const int SqOffHead = 40;
    public const int SqOffTail = 44;
    public const int SqOffRingMask = 48;
    public const int SqOffArray = 64;
    public const int CqOffHead = 80;
    public const int CqOffTail = 84;
    public const int CqOffRingMask = 88;
    public const int CqOffCqes = 100;

    /// <summary><c>struct io_uring_sqe</c> fields this ring fills (the rest stay zero).</summary>
    public const int SqeOpcode = 0;
    public const int SqeFd = 4;
    public const int SqeOffset = 8;
    public const int SqeAddress = 16;
    public const int SqeLength = 24;
    public const int SqeOpFlags = 28;
    public const int SqeUserData = 32;

    /// <summary><c>struct io_uring_cqe</c>: user_data, then res (bytes done, or minus the errno).</summary>
    public const int CqeUserData = 0;
    public const int CqeResult = 8;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EBUSY = 16;

    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapShared = 0x01;
    private const int MapPopulate = 0x8000;

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static extern int Munmap(nint address, nuint length);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    /// <summary>io_uring_setup(2): the ring's descriptor, or minus the errno.</summary>
    public static int Setup(uint entries, byte* parameters)
    {
        var fd = Syscall(SetupCall, (nint)entries, (nint)parameters, 0, 0, 0, 0);
        return fd >= 0 ? (int)fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>io_uring_enter(2): the submissions consumed, or minus the errno.</summary>
    public static int Enter(int fd, uint toSubmit, uint minComplete, uint flags)
    {
        var done = Syscall(EnterCall, fd, (nint)toSubmit, (nint)minComplete, (nint)flags, 0, 0);
        return done >= 0 ? (int)done : -Marshal.GetLastPInvokeError();
    }

    /// <summary>io_uring_register(2) of an eventfd the kernel signals at each completion: 0 or minus the errno.</summary>
    public static int RegisterEventFdOn(int fd, int eventFd)
    {
        var result = Syscall(RegisterCall, fd, (nint)RegisterEventFd, (nint)(&eventFd), 1, 0, 0);
        return result >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Maps one region of the ring (shared with the kernel); null when mmap failed.</summary>
    public static byte* Map(int fd, nuint length, long offset)
    {
        var address = Mmap(0, length, ProtReadWrite, MapShared | MapPopulate, fd, offset);
        return address == -1 ? null : (byte*)address;
    }
}
