using System.Net.Sockets;
using Actors.IoThreads;
using Akka.TestKit.Xunit2;

namespace Actors.Tests.IoThreads;

/// <summary>
/// Descriptors watched by an event loop (<see cref="FdWatch"/>) and sockets served by loops
/// (<see cref="LoopSocket"/>): callbacks on the loop's thread, one-shot arming, waits that end
/// on close, and waits that move on when their loop stops.
/// </summary>
public sealed class LoopSocketTests : TestKit
{
    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(20));

    private readonly EventLoop _a = new("a");
    private readonly EventLoop _b = new("b");
    private readonly string _dir = Directory.CreateTempSubdirectory("loopsocket-").FullName;

    [Fact]
    public async Task A_readable_watch_runs_once_on_the_loop_thread_and_waits_again_only_when_armed_again()
    {
        var (ours, peer) = ConnectedPair();
        using var watch = _a.WatchFd((int)ours.SafeHandle.DangerousGetHandle());
        var fired = 0;
        var onLoop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        watch.ArmReadable(() =>
        {
            fired++;
            onLoop.TrySetResult(_a.IsCurrent);
        });

        peer.Send([1]);
        Assert.True(await onLoop.Task.WaitAsync(Timeout));
        peer.Send([2]);
        var again = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await RunOnAsync(_a, () => { });
        await RunOnAsync(_a, () => { });
        var firedBeforeRearm = fired;
        watch.ArmReadable(again.SetResult);
        await again.Task.WaitAsync(Timeout);

        Assert.Equal(1, firedBeforeRearm);
        ours.Dispose();
        peer.Dispose();
    }

    [Fact]
    public async Task A_receive_waits_for_data_and_resumes_on_its_home_loop()
    {
        var (ours, peer) = ConnectedPair();
        using var socket = new LoopSocket(ours, () => _a);
        var buffer = new byte[16];

        var receiving = StartWithoutContext(async () =>
        {
            var count = await socket.ReceiveAsync(buffer);
            return (count, _a.IsCurrent);
        });
        Assert.False(receiving.IsCompleted);
        peer.Send([7, 8, 9]);

        Assert.Equal((3, true), await receiving.WaitAsync(Timeout));
        Assert.Equal([7, 8, 9], buffer[..3]);
        peer.Dispose();
    }

    [Fact]
    public async Task A_send_that_fills_the_socket_waits_until_the_peer_reads()
    {
        var (ours, peer) = ConnectedPair();
        using var socket = new LoopSocket(ours, () => _a);
        var data = new byte[8 << 20];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 31 + (i >> 12));
        }

        var sending = Task.Run(async () =>
        {
            for (var sent = 0; sent < data.Length;)
            {
                sent += await socket.SendAsync(data.AsMemory(sent));
            }
        });
        var received = new byte[data.Length];
        for (var total = 0; total < received.Length;)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total));
        }
        await sending.WaitAsync(Timeout);

        Assert.Equal(data, received);
        peer.Dispose();
    }

    [Fact]
    public async Task Closing_a_socket_ends_a_waiting_receive_with_ObjectDisposedException()
    {
        var (ours, peer) = ConnectedPair();
        var socket = new LoopSocket(ours, () => _a);
        var receiving = StartWithoutContext(async () => await socket.ReceiveAsync(new byte[16]));
        Assert.False(receiving.IsCompleted);

        socket.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => receiving.WaitAsync(Timeout));
        peer.Dispose();
    }

    /// <summary>The loop a receive waits on stops; the wait moves to the home loop of now, and data arriving later is received there.</summary>
    [Fact]
    public async Task A_receive_waiting_on_a_loop_that_stops_moves_to_the_new_home()
    {
        var (ours, peer) = ConnectedPair();
        var home = _a;
        using var socket = new LoopSocket(ours, () => Volatile.Read(ref home));
        var buffer = new byte[16];
        var receiving = StartWithoutContext(async () =>
        {
            var count = await socket.ReceiveAsync(buffer);
            return (count, _b.IsCurrent);
        });
        Assert.False(receiving.IsCompleted);

        Volatile.Write(ref home, _b);
        _a.Dispose();
        peer.Send([42]);

        Assert.Equal((1, true), await receiving.WaitAsync(Timeout));
        peer.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _a.Dispose();
        _b.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Runs <paramref name="start"/> up to its first wait on a plain thread (no synchronization
    /// context to resume on), and returns once it is waiting or done: a receive started here with
    /// no data sent is waiting, armed on its loop, when this returns.
    /// </summary>
    private static Task<T> StartWithoutContext<T>(Func<Task<T>> start)
    {
        Task<T>? started = null;
        var thread = new Thread(() => started = start());
        thread.Start();
        thread.Join();
        return started!;
    }

    private static Task RunOnAsync(EventLoop loop, Action action) => loop.RunAsync(() =>
    {
        action();
        return Task.FromResult(true);
    });

    private (Socket Ours, Socket Peer) ConnectedPair()
    {
        var path = Path.Combine(_dir, $"{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        peer.Connect(new UnixDomainSocketEndPoint(path));
        return (listener.Accept(), peer);
    }
}
