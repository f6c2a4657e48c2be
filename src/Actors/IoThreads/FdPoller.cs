using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Actors.IoThreads;

/// <summary>
/// An event loop's epoll set (Linux): the eventfd that <see cref="EventLoop.Notify"/> writes, and
/// the file descriptors the loop watches for its <see cref="FdWatch"/>es. Structures are passed
/// as bytes: <c>struct epoll_event</c> is packed (12 bytes) on x86_64 and 16 bytes elsewhere.
/// </summary>
internal sealed class FdPoller : IDisposable
{
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLONESHOT = 1u << 30;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const int EBADF = 9;
    public const int ENOENT = 2;
    public const int EEXIST = 17;
    private const int EINTR = 4;

    private const int CloseOnExec = 0x80000;
    private const int NonBlocking = 0x800;
    private const int MaxEvents = 64;
    private const ulong WakeId = 0;
    private const int Closing = int.MinValue / 2;

    private static readonly int s_stride = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly ConcurrentDictionary<ulong, FdWatch> _watches = new();
    private readonly byte[] _events = new byte[MaxEvents * s_stride];
    private readonly int _epoll;
    private readonly int _wake;
    private long _nextId = (long)WakeId;
    private int _ready;
    // Calls in progress from other threads (Wake, Control); Dispose subtracts Closing and waits
    // for the count to drain, so no call ever meets a closed (or reused) descriptor number.
    private int _users;
    private int _disposed;

    public FdPoller(string loop)
    {
        _epoll = EpollCreate1(CloseOnExec);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"IoThread '{loop}': epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
        }
        _wake = EventFd(0, CloseOnExec | NonBlocking);
        if (_wake < 0 || Control(EPOLL_CTL_ADD, _wake, EPOLLIN, WakeId) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Close(_epoll);
            throw new InvalidOperationException($"IoThread '{loop}': its eventfd could not be made (errno {errno})");
        }
    }

    /// <summary>True when some watch exists: each iteration then asks epoll, without waiting.</summary>
    public bool HasWatches => !_watches.IsEmpty;

    public static bool IsSupported => OperatingSystem.IsLinux();

    public FdWatch Watch(int fd, string loop)
    {
        var watch = new FdWatch(this, fd, (ulong)Interlocked.Increment(ref _nextId), loop);
        _watches[watch.Id] = watch;
        return watch;
    }

    public void Forget(FdWatch watch) => _watches.TryRemove(watch.Id, out _);

    /// <summary>epoll_ctl; 0 or the errno (EBADF once the loop is disposed).</summary>
    public int Control(int operation, int fd, uint events, ulong id)
    {
        Span<byte> ev = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(ev, events);
        BinaryPrimitives.WriteUInt64LittleEndian(ev[s_dataOffset..], id);
        try
        {
            if (Interlocked.Increment(ref _users) <= 0)
            {
                return EBADF;
            }
            return EpollCtl(_epoll, operation, fd, ref MemoryMarshal.GetReference(ev)) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            Interlocked.Decrement(ref _users);
        }
    }

    /// <summary>Makes a sleeping <see cref="Wait"/> return (any thread; nothing once disposed).</summary>
    public void Wake()
    {
        if (Interlocked.Increment(ref _users) > 0)
        {
            ulong one = 1;
            Write(_wake, ref one, sizeof(ulong));
        }
        Interlocked.Decrement(ref _users);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: until an event; 0: just looks) for events; <see cref="Dispatch"/> runs them.</summary>
    public void Wait(int timeoutMs)
    {
        int ready;
        do
        {
            ready = EpollWait(_epoll, _events, MaxEvents, timeoutMs);
        }
        while (ready < 0 && Marshal.GetLastPInvokeError() == EINTR);
        _ready = Math.Max(ready, 0);
    }

    /// <summary>Runs the watches that the last <see cref="Wait"/> found ready; true when one ran.</summary>
    public bool Dispatch()
    {
        var ran = false;
        for (var i = 0; i < _ready; i++)
        {
            var entry = _events.AsSpan(i * s_stride, s_stride);
            var events = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            var id = BinaryPrimitives.ReadUInt64LittleEndian(entry[s_dataOffset..]);
            if (id == WakeId)
            {
                ulong count = 0;
                Read(_wake, ref count, sizeof(ulong));
            }
            else if (_watches.TryGetValue(id, out var watch))
            {
                ran |= watch.Fire(events);
            }
        }
        _ready = 0;
        return ran;
    }

    /// <summary>The loop stops: every armed watch fires once, so its waiter tries again elsewhere.</summary>
    public void FireAll()
    {
        foreach (var watch in _watches.Values)
        {
            watch.Fire(EPOLLIN | EPOLLOUT);
        }
    }

    /// <summary>A manual loop that was only stopped, never disposed, still gives its descriptors back.</summary>
    ~FdPoller() => Dispose();

    /// <summary>Closes the descriptors once no other thread is inside <see cref="Wake"/> or <see cref="Control"/>.</summary>
    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        Interlocked.Add(ref _users, Closing);
        var spinner = new SpinWait();
        while (Volatile.Read(ref _users) != Closing)
        {
            spinner.SpinOnce();
        }
        Close(_wake);
        Close(_epoll);
    }

    [DllImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static extern int EpollCreate1(int flags);

    [DllImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static extern int EpollCtl(int epoll, int operation, int fd, ref byte ev);

    [DllImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static extern int EpollWait(int epoll, byte[] events, int maxEvents, int timeout);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static extern int EventFd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref ulong value, nint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint Write(int fd, ref ulong value, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
