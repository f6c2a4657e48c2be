using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Actors.IoThreads;

/// <summary>
/// A non-blocking socket served by event loops the way QEMU's AioContext serves a descriptor: a
/// receive or send that would block arms an <see cref="FdWatch"/> on the loop that
/// <c>home</c> names at that moment, and resumes when that loop finds the socket ready. No other
/// thread is woken on the way, so a front end that runs on the loop (in a <see cref="Strand"/>)
/// reads, serves and replies on one thread. The socket must not be used with .NET's own
/// asynchronous operations as well: those would register it with the runtime's socket engine,
/// whose thread would then wake for every arrival too.
/// </summary>
public sealed class LoopSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly Func<EventLoop> _home;
    private readonly Waiter _readable = new();
    private readonly Waiter _writable = new();
    private readonly Dictionary<EventLoop, FdWatch> _watches = [];
    private volatile bool _closed;

    /// <param name="socket">A connected socket; it becomes non-blocking and this object owns it.</param>
    /// <param name="home">The loop to wait on now (asked at every wait, on any thread).</param>
    public LoopSocket(Socket socket, Func<EventLoop> home)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Blocking = false;
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _home = home;
    }

    /// <summary>Receives at least one byte into <paramref name="buffer"/>; 0 when the peer closed its end.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed (<see cref="Dispose"/>).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var received = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return received;
            }
            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
            await _readable.WaitAsync(WatchOnHome(), readable: true);
        }
    }

    /// <summary>Sends at least one byte of <paramref name="data"/>; returns how many were sent.</summary>
    /// <exception cref="SocketException">The connection failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed (<see cref="Dispose"/>).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> data)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var sent = _socket.Send(data.Span, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return sent;
            }
            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
            await _writable.WaitAsync(WatchOnHome(), readable: false);
        }
    }

    /// <summary>
    /// Closes the socket (any thread, any time, more than once): the loops stop watching it, and
    /// a receive or send waiting on it fails with <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        lock (_watches)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            // Out of every epoll set before the descriptor number can be handed to another socket.
            foreach (var watch in _watches.Values)
            {
                watch.Dispose();
            }
            _watches.Clear();
        }
        _socket.Dispose();
        _readable.Fire();
        _writable.Fire();
    }

    private FdWatch WatchOnHome()
    {
        var loop = _home();
        lock (_watches)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (!_watches.TryGetValue(loop, out var watch))
            {
                _watches[loop] = watch = loop.WatchFd(_fd);
            }
            return watch;
        }
    }

    /// <summary>One direction's wait: completed once by the loop's watch, or by <see cref="Dispose"/>.</summary>
    private sealed class Waiter : IValueTaskSource
    {
        private readonly Action _fire;
        private ManualResetValueTaskSourceCore<bool> _core;
        private int _armed;

        public Waiter() => _fire = Fire;

        public ValueTask WaitAsync(FdWatch watch, bool readable)
        {
            _core.Reset();
            Volatile.Write(ref _armed, 1);
            if (readable)
            {
                watch.ArmReadable(_fire);
            }
            else
            {
                watch.ArmWritable(_fire);
            }
            return new ValueTask(this, _core.Version);
        }

        public void Fire()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _core.SetResult(true);
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
