using System.Net.Sockets;
using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Xunit.Sdk;

namespace Actors.Tests.IoThreads;

/// <summary>
/// The Akka dispatcher of an event loop (<see cref="EventLoopDispatcherConfigurator"/>, DESIGN §3):
/// the IoThread actor, the actors placed on its loop and its descriptors share one thread, as in
/// QEMU's AioContext, and a message sent while that loop sleeps in epoll always wakes it.
/// </summary>
public sealed class EventLoopDispatcherTests : TestKit
{
    private readonly List<EventLoop> _loops = [];

    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(30));

    /// <summary>
    /// A message to the IoThread actor is handled on its loop's thread (seen by the actor its
    /// reply reaches: one on the calling-thread dispatcher handles it on the thread that sent
    /// it), and so is a message to another actor placed on that loop's dispatcher, and a
    /// readable descriptor's callback: one thread, <c>iothread &lt;name&gt;</c>, whose
    /// <see cref="EventLoop.Current"/> is the loop and whose <see cref="IoThread.Current"/> is
    /// the IoThread.
    /// </summary>
    [Fact]
    public async Task Messages_to_actors_on_a_loop_and_fd_callbacks_run_on_the_loop_thread()
    {
        var options = new GraphLockOptions(DebugAssertions: true);
        var coordinator = Sys.ActorOf(Coordinator.Props(options), "coordinator");
        var loop = NewLoop("d0");
        var started = new TaskCompletionSource<IoThread>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ioRef = await IoThread.SpawnAsync(Sys, "d0", coordinator, options, loop, started);
        var iothread = await started.Task.WaitAsync(Timeout);

        // The IoThread's reply is handled, synchronously, on the thread the IoThread sent it from.
        var replyTo = Sys.ActorOf(Props.Create(() => new WhereAmI(TestActor)).WithDispatcher(CallingThreadDispatcher.Id), "reply-to");
        // Akka starts a top-level actor on a pool thread; until then messages to it wait there.
        await replyTo.Ask<ActorIdentity>(new Identify(null), Timeout);
        ioRef.Tell(QueryIoThread.Instance, replyTo);
        // Another actor placed on the same loop.
        var neighbour = Sys.ActorOf(Props.Create(() => new WhereAmI(TestActor)).WithDispatcher(EventLoopDispatcherConfigurator.Register(Sys, loop)), "neighbour");
        neighbour.Tell("where are you?", TestActor);
        // A descriptor watched by the loop.
        var (ours, peer) = SocketPair();
        using var watch = loop.WatchFd((int)ours.SafeHandle.DangerousGetHandle());
        var fd = new TaskCompletionSource<Place>(TaskCreationOptions.RunContinuationsAsynchronously);
        watch.ArmReadable(() => fd.TrySetResult(Place.Here()));
        peer.Send([1]);

        var places = new[] { ExpectMsg<Place>(Timeout), ExpectMsg<Place>(Timeout) };
        var reply = Assert.Single(places, p => p.Message == typeof(IoThreadStatus));
        var fromNeighbour = Assert.Single(places, p => p.Message == typeof(string));
        var fromFd = await fd.Task.WaitAsync(Timeout);
        foreach (var place in new[] { reply, fromNeighbour, fromFd })
        {
            Assert.Same(loop, place.Loop);
            Assert.Same(iothread, place.IoThread);
            Assert.Equal("iothread d0", place.ThreadName);
        }
        Assert.Equal([reply.ThreadId], new[] { fromNeighbour.ThreadId, fromFd.ThreadId }.Distinct());
        // Code that awaits there resumes on the loop (the reply's observer runs under the
        // calling-thread dispatcher, which clears the synchronization context).
        Assert.Same(loop.SynchronizationContext, fromNeighbour.Context);
        Assert.Same(loop.SynchronizationContext, fromFd.Context);
        ours.Dispose();
        peer.Dispose();
    }

    /// <summary>
    /// No wake-up is lost when the loop sleeps in epoll: round after round, the loop goes idle
    /// (its iteration count stops moving), then several threads at once send a burst each to an
    /// actor on it, and every message is received. Bounded by a generous timeout per round; no
    /// timing is asserted.
    /// </summary>
    [Fact]
    public void Messages_sent_from_many_threads_to_a_sleeping_loop_are_all_received()
    {
        const int producers = 4;
        const int burst = 8;
        const int rounds = 200;
        var loop = NewLoop("wake");
        var received = new CountdownEvent(producers * burst);
        long total = 0;
        var counter = Sys.ActorOf(Props.Create(() => new Counter(received, () => Interlocked.Increment(ref total))).WithDispatcher(EventLoopDispatcherConfigurator.Register(Sys, loop)), "counter");
        var start = new Barrier(producers + 1);
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                start.SignalAndWait();
                for (var i = 0; i < burst; i++)
                {
                    counter.Tell(i, ActorRefs.NoSender);
                }
            }
        }) { IsBackground = true, Name = "producer " + p }).ToList();
        threads.ForEach(t => t.Start());

        for (var round = 0; round < rounds; round++)
        {
            WaitUntilIdle(loop);
            received.Reset();
            start.SignalAndWait();
            if (!received.Wait(Timeout))
            {
                throw new XunitException($"Round {round}: {received.CurrentCount} of {producers * burst} messages were not received.");
            }
        }
        threads.ForEach(t => Assert.True(t.Join(Timeout)));
        Assert.Equal(rounds * producers * burst, Interlocked.Read(ref total));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _loops.ForEach(loop => loop.Dispose());
    }

    private EventLoop NewLoop(string name)
    {
        var loop = new EventLoop(name);
        _loops.Add(loop);
        return loop;
    }

    /// <summary>
    /// Spins until the loop's iteration count stays put for a while: it ran out of work and sleeps
    /// (or is about to). Only spacing: the test holds whether or not the loop got that far.
    /// </summary>
    private static void WaitUntilIdle(EventLoop loop)
    {
        var spinner = new SpinWait();
        var last = loop.Iterations;
        for (var still = 0; still < 200;)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            var now = loop.Iterations;
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }

    private static (Socket Ours, Socket Peer) SocketPair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dispatcher-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        peer.Connect(new UnixDomainSocketEndPoint(path));
        var ours = listener.Accept();
        File.Delete(path);
        return (ours, peer);
    }

    /// <summary>Where some code ran: the loop and IoThread current there, the thread, its synchronization context, and what it handled.</summary>
    private sealed record Place(EventLoop? Loop, IoThread? IoThread, string? ThreadName, int ThreadId, SynchronizationContext? Context, Type? Message)
    {
        public static Place Here(Type? message = null) =>
            new(EventLoop.Current, IoThread.Current, Thread.CurrentThread.Name, Environment.CurrentManagedThreadId, SynchronizationContext.Current, message);
    }

    /// <summary>Tells <c>report</c> where it handled each message (a request, or a reply it observes).</summary>
    private sealed class WhereAmI : ReceiveActor
    {
        public WhereAmI(IActorRef report) => ReceiveAny(message => report.Tell(Place.Here(message.GetType())));
    }

    private sealed class Counter : ReceiveActor
    {
        public Counter(CountdownEvent received, Action count) =>
            Receive<int>(_ =>
            {
                count();
                received.Signal();
            });
    }
}
