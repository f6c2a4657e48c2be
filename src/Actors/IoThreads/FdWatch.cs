using static Actors.IoThreads.FdPoller;

namespace Actors.IoThreads;

/// <summary>
/// One file descriptor watched by one event loop (QEMU's <c>aio_set_fd_handler</c>), one-shot:
/// <see cref="ArmReadable"/> runs its callback once on the loop's thread when the descriptor is
/// readable (or hung up, or failed), <see cref="ArmWritable"/> likewise for writing; arm again to
/// wait again. Arming may happen on any thread. Made by <see cref="EventLoop.WatchFd"/>.
/// </summary>
public sealed class FdWatch : IDisposable
{
    private readonly FdPoller _poller;
    private readonly int _fd;
    private readonly string _loop;
    private readonly Lock _lock = new();
    private Action? _onReadable;
    private Action? _onWritable;
    private bool _added;
    private bool _disposed;

    internal FdWatch(FdPoller poller, int fd, ulong id, string loop)
    {
        _poller = poller;
        _fd = fd;
        Id = id;
        _loop = loop;
    }

    internal ulong Id { get; }

    /// <summary>Runs <paramref name="callback"/> once, on the loop, when the descriptor can be read.</summary>
    /// <exception cref="ObjectDisposedException">The descriptor was closed, or this watch disposed.</exception>
    public void ArmReadable(Action callback)
    {
        lock (_lock)
        {
            _onReadable = callback;
            Update();
        }
    }

    /// <summary>Runs <paramref name="callback"/> once, on the loop, when the descriptor can be written.</summary>
    /// <exception cref="ObjectDisposedException">The descriptor was closed, or this watch disposed.</exception>
    public void ArmWritable(Action callback)
    {
        lock (_lock)
        {
            _onWritable = callback;
            Update();
        }
    }

    /// <summary>Stops watching (the descriptor may already be closed). Callbacks still armed do not run.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _onReadable = _onWritable = null;
            if (_added)
            {
                var errno = _poller.Control(EPOLL_CTL_DEL, _fd, 0, Id);
                // A closed descriptor has already left the epoll set.
                if (errno is not (0 or EBADF or ENOENT))
                {
                    throw new InvalidOperationException($"IoThread '{_loop}': epoll_ctl(DEL) of descriptor {_fd} failed (errno {errno})");
                }
            }
        }
        _poller.Forget(this);
    }

    /// <summary>Runs the callbacks <paramref name="events"/> satisfy (on the loop); true when one ran.</summary>
    internal bool Fire(uint events)
    {
        Action? readable = null;
        Action? writable = null;
        lock (_lock)
        {
            if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
            {
                (readable, _onReadable) = (_onReadable, null);
            }
            if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0)
            {
                (writable, _onWritable) = (_onWritable, null);
            }
            // One-shot: the event disarmed the descriptor, the other direction may still wait. If
            // the descriptor is gone, its waiter runs too: it will find it closed.
            if (!_disposed && Rearm() == EBADF)
            {
                (readable, _onReadable) = (readable ?? _onReadable, null);
                (writable, _onWritable) = (writable ?? _onWritable, null);
            }
        }
        readable?.Invoke();
        writable?.Invoke();
        return readable is not null || writable is not null;
    }

    private void Update()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var errno = Rearm();
        if (errno == EBADF)
        {
            throw new ObjectDisposedException($"descriptor {_fd} on IoThread '{_loop}'", "The descriptor was closed.");
        }
        if (errno != 0)
        {
            throw new InvalidOperationException($"IoThread '{_loop}': epoll_ctl of descriptor {_fd} failed (errno {errno})");
        }
    }

    /// <summary>Asks epoll for the armed directions; 0 or the errno.</summary>
    private int Rearm()
    {
        var interest = (_onReadable is null ? 0 : EPOLLIN | EPOLLRDHUP) | (_onWritable is null ? 0 : EPOLLOUT);
        if (interest == 0)
        {
            return 0;
        }
        var errno = _poller.Control(_added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, _fd, interest | EPOLLONESHOT, Id);
        _added |= errno == 0;
        return errno;
    }
}
