using Actors.GraphLock;
using Akka.Actor;

namespace Actors.IoThreads;

/// <summary>
/// An IoThread (QEMU's iothread with its AioContext): an actor that owns an <see cref="EventLoop"/>
/// thread, the node actors bound to it run there too, and it keeps this context's share of the
/// graph lock: its reader counter, its view of the writer and its parked readers.
/// </summary>
/// <remarks>
/// Read side (all on the loop thread, so none of it needs a lock or an interlocked write):
/// <see cref="ReadLockAsync"/> is a local increment and a check of one field (set while a writer is
/// active, or by the host aggregator before this loop hears of the writer, see
/// <see cref="StopReaders"/>); a reader arriving while a writer is active parks, FIFO, and is resumed by <see cref="EndWrite"/>; <see cref="ReadUnlock()"/>
/// reports the new count while a writer waits. A reader may unlock on another IoThread than it
/// locked on (its node moved): counters may then go negative, the sum stays right.
/// A front end's flush may wait for the disk outside the graph (<see cref="AllowWaitOutside"/>):
/// its file node gives the read lock back for the fdatasync and takes it again after, so a
/// graph change does not wait for the disk.
/// </remarks>
public sealed class IoThread : ReceiveActor
{
    private readonly Queue<TaskCompletionSource> _parked = new();
    private readonly IActorRef _registry;
    private readonly GraphLockOptions _options;
    private int _readers;
    // Parks readers until the registry answered: a write may already be under way.
    private bool _writerActive = true;
    // What the read fast path checks, in one field: non-zero while readers must park. This loop
    // sets it with _writerActive (to the write's epoch, or NotRegistered); the host aggregator
    // sets it to a write's epoch before this loop hears BeginWrite (StopReaders). They never
    // write it at once: the aggregator only after this loop acknowledged an EndWrite (which
    // cleared it), and this loop next on that write's BeginWrite, sent after the aggregator's write.
    private long _gate = NotRegistered;
    // Readers call in from node actors' code on this loop, outside this actor's own context.
    private IActorRef _self = ActorRefs.Nobody;
    private bool _registered;
    private bool _stoppingCleanly;
    private long _epoch;
    private long _parkedTotal;
    // The request starting now may wait for the disk outside the graph (a front end's flush).
    private bool _mayWaitOutside;
    // Requests waiting for the disk outside the graph; this IoThread stops only once they are back.
    private int _outside;
    private bool _stopWhenBack;

    private readonly TaskCompletionSource<IoThread>? _started;

    /// <summary>
    /// Public because Akka creates actors from <see cref="Props"/> by reflection, which only finds
    /// public constructors (a private one fails every start with MissingMethodException). Start
    /// an IoThread with <see cref="SpawnAsync"/> or <see cref="StartAsync"/>: they put it on its
    /// loop's dispatcher, where alone it may run.
    /// </summary>
    public IoThread(string name, EventLoop loop, IActorRef registry, GraphLockOptions options, TaskCompletionSource<IoThread>? started)
    {
        Name = name;
        Loop = loop;
        _registry = registry;
        _options = options;
        _started = started;
        Receive<BeginWrite>(begin =>
        {
            // Step 2: new readers park from now on; report who is still inside.
            _epoch = begin.Epoch;
            _writerActive = true;
            Volatile.Write(ref _gate, begin.Epoch);
            Report();
        });
        Receive<EndWrite>(end =>
        {
            _epoch = end.Epoch;
            _writerActive = false;
            Volatile.Write(ref _gate, 0);
            ResumeParked();
            Sender.Tell(new WriteEnded(Name, end.Epoch), Self);
        });
        Receive<ContextRegistered>(registered =>
        {
            _registered = true;
            _epoch = registered.Epoch;
            if (registered.WriterActive)
            {
                Report();
            }
            else
            {
                _writerActive = false;
                Volatile.Write(ref _gate, 0);
                ResumeParked();
            }
        });
        Receive<Terminated>(terminated => terminated.ActorRef.Equals(_registry), _ => Context.Stop(Self));
        Receive<StopIoThread>(_ =>
        {
            _stoppingCleanly = true;
            if (_outside > 0)
            {
                // Their continuations run on this loop: it keeps running until they are back.
                _stopWhenBack = true;
                return;
            }
            Context.Stop(Self);
        });
        Receive<QueryIoThread>(_ => Sender.Tell(new IoThreadStatus(Name, _readers, _parked.Count, _parkedTotal, _writerActive, _epoch, Loop.Iterations, _outside, _stopWhenBack), Self));
    }

    /// <summary>
    /// Starts an IoThread named <paramref name="name"/> on <paramref name="loop"/> (a manual one a
    /// test steps, or a threaded one), registered with <paramref name="registry"/>: the
    /// Coordinator, this host's aggregator, or a probe standing in for either. Completes with its
    /// reference once it exists; it runs its PreStart on the loop.
    /// </summary>
    public static Task<IActorRef> SpawnAsync(ActorSystem system, string name, IActorRef registry, GraphLockOptions options, EventLoop loop, TaskCompletionSource<IoThread>? started = null)
    {
        var dispatcher = EventLoopDispatcherConfigurator.Register(system, loop);
        var props = Props.Create(() => new IoThread(name, loop, registry, options, started)).WithDispatcher(dispatcher);
        return IoThreadSupervisor.For(system).Ask<IActorRef>(new StartIoThread(name, props), AskTimeout);
    }

    /// <summary>
    /// Starts an IoThread on a new threaded event loop (or on <paramref name="loop"/>, which must
    /// have its thread), completing with the IoThread once it runs on its loop.
    /// </summary>
    public static async Task<IoThread> StartAsync(ActorSystem system, string name, IActorRef registry, GraphLockOptions options, EventLoop? loop = null)
    {
        var started = new TaskCompletionSource<IoThread>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SpawnAsync(system, name, registry, options, loop ?? new EventLoop(name), started);
        return await started.Task.WaitAsync(AskTimeout);
    }

    /// <summary>
    /// Stops the IoThread called <paramref name="name"/> cleanly (<see cref="StopIoThread"/>) and
    /// completes once it is gone and a new IoThread may take its name.
    /// </summary>
    public static Task StopAsync(ActorSystem system, string name, TimeSpan timeout) =>
        IoThreadSupervisor.For(system).Ask<IoThreadRetired>(new RetireIoThread(name), timeout);

    // The gate's value until the registry answered.
    private const long NotRegistered = -1;

    // Starting an actor is local work; this bounds a start on a system that is shutting down.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

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
        // Either this increment is in the aggregator's count or the read below sees its stop
        // (StopReaders). Volatile, so the JIT keeps the write before the read (free on x64); the
        // CPU may still swap them, which the aggregator's process-wide barrier covers.
        Volatile.Write(ref _readers, _readers + 1);
        if (Volatile.Read(ref _gate) == 0)
        {
            _options.Monitor?.EnterRead();
            return ValueTask.CompletedTask;
        }
        // Slow path: a writer is active, the aggregator stopped readers, or we are not registered
        // yet. Back out and park.
        _readers--;
        if (!_writerActive && _registered)
        {
            // Stopped by the aggregator: its count may have included this reader.
            Report();
        }
        var parked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _parked.Enqueue(parked);
        _parkedTotal++;
        return new ValueTask(parked.Task);
    }

    /// <summary>Releases a read lock taken on this or another IoThread (the reader may have migrated).</summary>
    public void ReadUnlock() => ReadUnlock(node: null, kind: null);

    /// <summary>
    /// As <see cref="ReadUnlock()"/>, naming the request that leaves (the node it entered at and
    /// its type): while a writer waits the report says so, and the last one before the grant is
    /// the reader that writer waited for. Without a writer the names are not looked at.
    /// </summary>
    public void ReadUnlock(string? node, string? kind)
    {
        if (_options.DebugAssertions)
        {
            Loop.AssertOnLoop();
        }
        _options.Monitor?.ExitRead();
        Volatile.Write(ref _readers, _readers - 1);
        // Every unlock while a writer waits is reported; the writer may be waiting for this one
        // (the missed wake-up QEMU fixed in rdunlock in 2026 cannot happen: the flag and the
        // counter are this thread's, and a stop the aggregator set is either seen here or counts
        // this decrement, as in ReadLockAsync).
        if (Volatile.Read(ref _gate) != 0 && _registered)
        {
            Report(new DrainReader(Name, node, kind));
        }
    }

    /// <summary>
    /// Lets the request that starts on this loop now (a front end's flush, under this IoThread's
    /// read lock) wait for the disk outside the graph, once, until <see cref="EndWaitOutside"/>:
    /// its node calls are synchronous up to the file node, which takes the permission with
    /// <see cref="TryWaitOutside"/>. Only one node of the request may take it: the request holds
    /// one read lock, and gives it back at most once.
    /// </summary>
    public void AllowWaitOutside() => _mayWaitOutside = true;

    /// <summary>Ends what <see cref="AllowWaitOutside"/> allowed, whether a node took it or not.</summary>
    public void EndWaitOutside() => _mayWaitOutside = false;

    /// <summary>
    /// Gives the read lock of the running request back while it waits for the disk, if the front
    /// end allowed it (<see cref="AllowWaitOutside"/>): a writer need not wait for it. The caller
    /// touches no graph state until <see cref="ReturnToGraphAsync"/> completed, which it must call.
    /// </summary>
    /// <param name="node">The node that waits: named to a writer that waits, with <paramref name="kind"/>.</param>
    /// <param name="kind">What the node waits for.</param>
    public bool TryWaitOutside(string node, string kind)
    {
        if (!_mayWaitOutside)
        {
            return false;
        }
        _mayWaitOutside = false;
        _outside++;
        ReadUnlock(node, kind);
        return true;
    }

    /// <summary>
    /// Takes the read lock again after <see cref="TryWaitOutside"/>, on this loop: at once, or
    /// once a write active now ends. The graph may have changed meanwhile.
    /// </summary>
    public async ValueTask ReturnToGraphAsync()
    {
        try
        {
            await ReadLockAsync();
        }
        finally
        {
            if (--_outside == 0 && _stopWhenBack)
            {
                // Behind the continuations already posted: the request's unlock runs first.
                _self.Tell(StopIoThread.Instance, _self);
            }
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
        _registry.Tell(new RegisterContext(Name, _self) { Local = this }, _self);
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
        Loop.Stop();
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

    /// <summary>
    /// Stops new readers for write <paramref name="epoch"/> from the host aggregator's thread,
    /// before this loop gets BeginWrite: a loop busy or asleep then holds up no write whose
    /// readers are gone. The aggregator then issues a process-wide memory barrier and reads
    /// <see cref="ReadersSeen"/>. Case 1: a reader's increment came before the barrier: the count
    /// includes it (it may back out and park: the count was too high, and this loop's report on
    /// BeginWrite corrects it). Case 2: it came after: it sees the stop and parks. The same holds
    /// for an unlock: seen in the count, or it sees the stop and reports. Only for a loop that
    /// acknowledged the last EndWrite: its resumed readers are counted, and its gate is open and
    /// not written by the loop again before that write's BeginWrite.
    /// </summary>
    internal void StopReaders(long epoch) => Volatile.Write(ref _gate, epoch);

    /// <summary>This loop's reader count as another thread sees it after a process-wide barrier (see <see cref="StopReaders"/>).</summary>
    internal int ReadersSeen => Volatile.Read(ref _readers);

    private void Report(DrainReader? left = null)
    {
        // Stopped by the aggregator, this loop has not heard the write's epoch yet: the gate holds it.
        _registry.Tell(new ReaderReport(Name, Math.Max(_epoch, Volatile.Read(ref _gate)), _readers, _parked.Count, left), _self);
    }
}
