namespace Nodes.Drivers;

/// <summary>The POSIX error numbers block requests fail with (the values NBD and QEMU use on Linux).</summary>
public enum Errno
{
    EPERM = 1,
    EIO = 5,
    ENOMEM = 12,
    EINVAL = 22,
    ENOSPC = 28,
    EROFS = 30,
    EOVERFLOW = 75,
    ENOTSUP = 95,
    ESHUTDOWN = 108,
}
