using Actors.Core;
using Actors.GraphLock;
using Actors.Messages;

namespace Actors.IoThreads;

/// <summary>
/// An IoThread (QEMU's iothread with its AioContext): an actor that owns an <see cref="EventLoop"/>
/// thread, the node actors bound to it run there too, and it keeps this context's share of the
/// graph lock: its reader counter, its view of the writer and its parked readers.
/// </summary>
/// <remarks>
/// Read side (all on the loop thread, so none of it needs a lock or an interlocked write):
/// <see cref="ReadLockAsync"/> is a local increment and a flag check; a reader arriving while a
/// writer is active parks, FIFO, and is resumed by <see cref="EndWrite"/>; <see cref="ReadUnlock"/>
/// reports the new count while a writer waits. A reader may unlock on another IoThread than it
/// locked on (its node moved): counters may then go negative, the sum stays right.
/// </remarks>
public sealed class IoThread : ActorBase
{
    private readonly Queue<TaskCompletionSource> _parked = new();
    private readonly IActorRef _registry;
    private readonly GraphLockOptions _options;
    private int _readers;
    // Parks readers until the registry answered: a write may already be under way.
    private bool _writerActive = true;
    // Readers call in from node actors' code on this loop, outside this actor's own context.
    private IActorRef _self = Nobody.Instance;
    private bool _registered;
    private bool _stoppingCleanly;
    private long _epoch;
    private long _parkedTotal;

    private readonly TaskCompletionSource<IoThread>? _started;

    private IoThread(string name, EventLoop loop, IActorRef registry, GraphLockOptions options, TaskCompletionSource<IoThread>? started)
    {
        Name = name;
        Loop = loop;
        _registry = registry;
        _options = options;
        _started = started;
    }

    /// <summary>
    /// Starts an IoThread named <paramref name="name"/> on a new event loop (or on
    /// <paramref name="loop"/>, e.g. a manual one a test steps), registered with
    /// <paramref name="registry"/>: the Coordinator, or this host's aggregator.
    /// </summary>
    public static IActorRef Start(ActorSystem system, string name, IActorRef registry, GraphLockOptions options, EventLoop? loop = null) =>
        Start(system, name, registry, options, loop, started: null);

    /// <summary>Like <see cref="Start(ActorSystem, string, IActorRef, GraphLockOptions, EventLoop?)"/>, completing with the IoThread once it runs on its loop (a threaded loop).</summary>
    public static Task<IoThread> StartAsync(ActorSystem system, string name, IActorRef registry, GraphLockOptions options, EventLoop? loop = null)
    {
        var started = new TaskCompletionSource<IoThread>(TaskCreationOptions.RunContinuationsAsynchronously);
        Start(system, name, registry, options, loop, started);
        return started.Task;
    }

    private static IActorRef Start(ActorSystem system, string name, IActorRef registry, GraphLockOptions options, EventLoop? loop, TaskCompletionSource<IoThread>? started)
    {
        loop ??= new EventLoop(name, system.Scheduler.Clock);
        system.Dispatchers.Register(loop.Dispatcher);
        return IoThreadSupervisor.For(system).Cell.ActorOf(
            Core.Props.Create(() => new IoThread(name, loop, registry, options, started)).WithDispatcher(loop.Dispatcher.Id),
            name);
    }

    /// <summary>
    /// Stops the IoThread called <paramref name="name"/> cleanly (<see cref="StopIoThread"/>) and
    /// completes once it is gone and a new IoThread may take its name.
    /// </summary>
    public static Task StopAsync(ActorSystem system, string name, TimeSpan timeout) =>
        IoThreadSupervisor.For(system).Ask<Status.Success>(new RetireIoThread(name), timeout);

    /// <summary>The IoThread whose loop runs this code, if any (QEMU's <c>qemu_get_current_aio_context</c>).</summary>
    public static IoThread? Current => EventLoop.Current?.Owner as IoThread;

    /// <summary>The context id the graph lock knows this IoThread by.</summary>
    public string Name { get; }

    public EventLoop Loop { get; }

    /// <summary>This context's reader count (loop thread only).</summary>
    public int Readers => _readers;

    /// <summary>
    /// Takes the read lock for one request entering the graph. Fast path: completes at once,
    /// without a message, a lock or a shared write. While a writer is active the request parks
    /// and the returned task completes when the write ends, readers in arrival order.
    /// </summary>
    public ValueTask ReadLockAsync()
    {
        // The thread check is a debug assertion: it was most of the fast path's cost.
        if (_options.DebugAssertions)
        {
            Loop.AssertOnLoop();
        }
        _readers++;
        if (!_writerActive)
        {
            _options.Monitor?.EnterRead();
            return ValueTask.CompletedTask;
        }
        // Slow path: a writer is active (or we are not registered yet). Back out and park.
        _readers--;
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _parked.Enqueue(parked);
        _parkedTotal++;
        return new ValueTask(parked.Task);
    }

    /// <summary>Releases a read lock taken on this or another IoThread (the reader may have migrated).</summary>
    public void ReadUnlock()
    {
        if (_options.DebugAssertions)
        {
            Loop.AssertOnLoop();
        }
        _options.Monitor?.ExitRead();
        _readers--;
        // Every unlock while a writer waits is reported; the writer may be waiting for this one
        // (the missed wake-up QEMU fixed in rdunlock in 2026 cannot happen: the flag and the
        // counter are both this thread's).
        if (_writerActive && _registered)
        {
            Report();
        }
    }

    /// <summary>Throws when debug assertions are on and no reader holds the lock on this IoThread.</summary>
    public void AssertReadable()
    {
        Loop.AssertOnLoop();
        if (_options.DebugAssertions && _readers <= 0)
        {
            throw new InvalidOperationException($"IoThread '{Name}' touched the graph without holding the read lock.");
        }
    }

    protected override void PreStart()
    {
        Loop.AssertOnLoop();
        Loop.Owner = this;
        _self = Self;
        // A registry that dies drops this context, and the writer stops counting its readers:
        // this IoThread then must not admit any, so it dies with it (DESIGN §4: a context that
        // dies with its host loses its readers with it).
        Context.Watch(_registry);
        _registry.Tell(new RegisterContext(Name, _self), _self);
        _started?.TrySetResult(this);
    }

    protected override void PostStop()
    {
        if (_stoppingCleanly)
        {
            _registry.Tell(new UnregisterContext(Name, _readers), Self);
        }
        while (_parked.TryDequeue(out var parked))
        {
            parked.TrySetException(new InvalidOperationException($"IoThread '{Name}' stopped while this request waited for the graph lock."));
        }
        Context.System.Dispatchers.Unregister(Loop.Dispatcher);
        Loop.Stop();
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case BeginWrite begin:
                // Step 2: new readers park from now on; report who is still inside.
                _epoch = begin.Epoch;
                _writerActive = true;
                Report();
                return true;
            case EndWrite end:
                _epoch = end.Epoch;
                _writerActive = false;
                ResumeParked();
                Sender.Tell(new WriteEnded(Name, end.Epoch), Self);
                return true;
            case ContextRegistered registered:
                _registered = true;
                _epoch = registered.Epoch;
                if (registered.WriterActive)
                {
                    Report();
                }
                else
                {
                    _writerActive = false;
                    ResumeParked();
                }
                return true;
            case Terminated terminated when terminated.ActorRef.Equals(_registry):
                Context.Stop(Self);
                return true;
            case StopIoThread:
                _stoppingCleanly = true;
                Context.Stop(Self);
                return true;
            case QueryIoThread:
                Sender.Tell(new IoThreadStatus(Name, _readers, _parked.Count, _parkedTotal, _writerActive, _epoch, Loop.Iterations), Self);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Resumes every parked reader in arrival order. Each takes its read lock here and now, so
    /// a BeginWrite processed after this message counts it, even if its code has not run yet.
    /// </summary>
    private void ResumeParked()
    {
        while (_parked.TryDequeue(out var parked))
        {
            _readers++;
            _options.Monitor?.EnterRead();
            parked.TrySetResult();
        }
    }

    private void Report() => _registry.Tell(new ReaderReport(Name, _epoch, _readers, _parked.Count), _self);
}
