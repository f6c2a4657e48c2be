using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.TestKit;
using CoordinatorActor = Actors.GraphLock.Coordinator;

namespace Actors.Tests.GraphLock;

/// <summary>
/// A graph lock put together for one scenario: a Coordinator with a <see cref="GraphLockMonitor"/>
/// and debug assertions on, IoThreads (and host aggregators) on <b>manual</b> loops, which only
/// move when the test steps them (SPDK's <c>poll_threads()</c>: exact interleavings), or on
/// <b>threaded</b> loops (load and stress), and handles for readers and writers.
/// </summary>
/// <remarks>
/// Stepping: <see cref="Step"/> runs one iteration of every manual loop (each runs what was posted
/// to it before the iteration began: its actors' Akka mailbox runs, in the order they were
/// scheduled, among the other callbacks; then bottom halves and due timers); <see cref="StepUntil"/>
/// steps until a condition holds, bounded, and fails saying what it waited for. A Coordinator made
/// with <c>manualCoordinator: true</c> runs on a manual loop too, so a scenario decides exactly when
/// it reads a report or sends a BeginWrite.
/// <para>
/// Writers are <see cref="WriterActor"/>s on Akka's calling-thread dispatcher: a writer handles
/// the Coordinator's <see cref="WriteGranted"/> or <see cref="RunDeferred"/> on the thread that
/// sent it, inside the Coordinator's step, so a step that grants a write also runs the writer's
/// synchronous body, and code a body or deferred action continues after an <c>await</c> resumes on
/// the Coordinator's loop (when it is manual): a schedule replays exactly.
/// </para>
/// <para>
/// Disposal hands every manual loop to a thread of its own, then stops the actor system (the
/// IoThreads and the Coordinator stop on their loops), then disposes the loops. Dispose the
/// harness before the TestKit (a <c>using</c> in the test does): the TestKit's own shutdown would
/// wait for actors on loops that nobody steps.
/// </para>
/// </remarks>
internal sealed class GraphLockHarness : IDisposable
{
    /// <summary>How long any one wait of a scenario may take (dilated by the TestKit's time factor).</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly TestKitBase _kit;
    private readonly List<EventLoop> _loops = [];
    private readonly List<EventLoop> _manual = [];
    private readonly Lock _lock = new();
    private int _writers;
    private int _disposed;

    /// <param name="kit">The test: its waits, and its actor system unless <paramref name="system"/> is given.</param>
    /// <param name="manualCoordinator">Run the Coordinator on a manual loop the test steps.</param>
    /// <param name="debugAssertions">GraphLockOptions.DebugAssertions (on in tests).</param>
    /// <param name="system">Another actor system to build on (the harness terminates it on disposal); it needs the TestKit's configuration (calling-thread dispatcher).</param>
    public GraphLockHarness(TestKitBase kit, bool manualCoordinator = false, bool debugAssertions = true, ActorSystem? system = null)
    {
        _kit = kit;
        Sys = system ?? kit.Sys;
        Monitor = new GraphLockMonitor();
        Options = new GraphLockOptions(DebugAssertions: debugAssertions, Monitor: Monitor);
        var props = CoordinatorActor.Props(Options);
        if (manualCoordinator)
        {
            CoordinatorLoop = NewLoop("coordinator", manual: true);
            props = props.WithDispatcher(Register(CoordinatorLoop));
        }
        Coordinator = Sys.ActorOf(props, "coordinator");
        Started(Coordinator, "the Coordinator started", CoordinatorLoop is null ? [] : [CoordinatorLoop]);
    }

    public ActorSystem Sys { get; }

    /// <summary>The referee: a reader inside a write section (or two overlapping writes) counts as a violation.</summary>
    public GraphLockMonitor Monitor { get; }

    public GraphLockOptions Options { get; }

    public IActorRef Coordinator { get; }

    /// <summary>The Coordinator's loop when it is manual, else null (it runs on the thread pool).</summary>
    public EventLoop? CoordinatorLoop { get; }

    /// <summary>What readers, writers and deferred actions did, in order (they add to it themselves).</summary>
    public Journal Journal { get; } = new();

    private TimeSpan Limit => _kit.Dilated(WaitLimit);

    // ---- loops and contexts

    /// <summary>A loop owned by the harness (stepped while manual, disposed at the end).</summary>
    public EventLoop NewLoop(string name, bool manual = true, TimeProvider? clock = null)
    {
        var loop = new EventLoop(name, clock, manual: manual);
        lock (_lock)
        {
            _loops.Add(loop);
            if (manual)
            {
                _manual.Add(loop);
            }
        }
        return loop;
    }

    /// <summary>Whether the harness still steps <paramref name="loop"/> (it is manual and has no thread yet).</summary>
    public bool IsManual(EventLoop loop)
    {
        lock (_lock)
        {
            return _manual.Contains(loop);
        }
    }

    /// <summary>Gives a manual loop its own thread; the harness stops stepping it.</summary>
    public void StartThread(EventLoop loop)
    {
        lock (_lock)
        {
            _manual.Remove(loop);
        }
        loop.StartThread();
    }

    /// <summary>Makes actors placeable on <paramref name="loop"/> (not needed for an IoThread's loop); returns the dispatcher id.</summary>
    public string Register(EventLoop loop) => EventLoopDispatcherConfigurator.Register(Sys, loop);

    /// <summary>
    /// Starts an IoThread registered with <paramref name="registry"/> (the Coordinator by default,
    /// or a host aggregator, or a probe standing in for either). Returns once its PreStart ran
    /// (it owns its loop; its RegisterContext is on its way); with <paramref name="awaitRegistered"/>,
    /// once the registry's answer let its readers in (only possible while no writer is active).
    /// </summary>
    public IoThreadHandle StartIoThread(string name, bool manual = true, IActorRef? registry = null, bool awaitRegistered = true)
    {
        var loop = NewLoop(name, manual);
        var actor = Await(IoThread.SpawnAsync(Sys, name, registry ?? Coordinator, Options, loop), $"IoThread '{name}' spawned", [loop]);
        var io = new IoThreadHandle(name, loop, actor);
        StepUntil(() => loop.Owner is IoThread, $"IoThread '{name}' started", [loop]);
        if (awaitRegistered)
        {
            StepUntil(() => !IoStatus(io).WriterActive, $"IoThread '{name}' registered and lets readers in");
        }
        return io;
    }

    /// <summary>
    /// Starts a host aggregator (context <c>host:&lt;host&gt;</c>) registered with the Coordinator,
    /// on a loop of its own: manual (stepped with the rest) or threaded.
    /// </summary>
    public HostHandle StartHost(string host, bool manual = true, IActorRef? coordinator = null)
    {
        var loop = NewLoop("host-" + host, manual);
        var aggregator = Sys.ActorOf(HostAggregator.Props(host, coordinator ?? Coordinator).WithDispatcher(Register(loop)), "host-" + host);
        Started(aggregator, $"host aggregator '{host}' started", [loop]);
        return new HostHandle("host:" + host, loop, aggregator);
    }

    /// <summary>
    /// Returns once <paramref name="actor"/> runs (its PreStart ran), stepping <paramref name="loops"/>
    /// meanwhile. Akka starts a top-level actor asynchronously: the guardian creates its cell on a
    /// pool thread and only then schedules its mailbox (on a manual loop, only then does stepping
    /// reach it); until then a step that finds nothing to run says nothing about the actor.
    /// </summary>
    public void Started(IActorRef actor, string what, IReadOnlyCollection<EventLoop> loops) =>
        Await(actor.Ask<ActorIdentity>(new Identify(what), Limit), what, loops);

    // ---- running code on an IoThread

    /// <summary>Runs <paramref name="action"/> on <paramref name="io"/>'s loop and returns once it ran (a manual loop is stepped once for it).</summary>
    public void RunOn(IoThreadHandle io, Action<IoThread> action) =>
        Await(Post(io, action), $"code posted to IoThread '{io.Name}' ran", [io.Loop]);

    /// <summary>
    /// Starts <paramref name="action"/> on <paramref name="io"/>'s loop and returns its task once
    /// it started (code after an <c>await</c> in it continues on that loop).
    /// </summary>
    public Task RunOn(IoThreadHandle io, Func<IoThread, Task> action)
    {
        Task? started = null;
        RunOn(io, iothread => { started = action(iothread); });
        return started!;
    }

    /// <summary>
    /// A request enters the graph on <paramref name="io"/>: it takes the read lock there (at once,
    /// or parked until the write ends), notes its name in the <see cref="Journal"/> when its code
    /// runs, and keeps the lock until <see cref="Unlock"/> (or releases it at once with
    /// <paramref name="thenUnlock"/>).
    /// </summary>
    public Reader Lock(IoThreadHandle io, string name, bool thenUnlock = false)
    {
        var reader = new Reader(name, io);
        RunOn(io, iothread => reader.Start(iothread, Journal, thenUnlock));
        return reader;
    }

    /// <summary>Releases <paramref name="reader"/>'s lock on <paramref name="on"/> (where it locked by default: another IoThread is a migration).</summary>
    public void Unlock(Reader reader, IoThreadHandle? on = null)
    {
        var target = on ?? reader.LockedOn;
        Await(PostUnlock(reader, target), $"{reader} unlocked on IoThread '{target.Name}'", [target.Loop]);
    }

    /// <summary>
    /// Posts <paramref name="reader"/>'s unlock to <paramref name="on"/>'s loop without stepping it:
    /// it runs in that loop's next iteration, before whatever is posted there after it (a mailbox
    /// run the Coordinator schedules next, say). Completes once it ran.
    /// </summary>
    public Task PostUnlock(Reader reader, IoThreadHandle? on = null)
    {
        if (!reader.Entered.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException($"Reader {reader.Name} is not inside the graph; it has nothing to unlock.");
        }
        if (reader.IsReleased)
        {
            throw new InvalidOperationException($"Reader {reader.Name} already unlocked.");
        }
        var target = on ?? reader.LockedOn;
        reader.Released(target);
        return Post(target, iothread => iothread.ReadUnlock(reader.Name, Reader.Kind));
    }

    private static Task Post(IoThreadHandle io, Action<IoThread> action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        io.Loop.Post(() =>
        {
            try
            {
                action(io.Instance);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        });
        return done.Task;
    }

    // ---- writers

    /// <summary>
    /// A writer asks the Coordinator for a write section (<see cref="WriterActor"/>). Once granted
    /// it notes "<c>reason enters</c>" in the <see cref="Journal"/>, runs <paramref name="body"/>,
    /// with <paramref name="hold"/> stays inside until <see cref="Writer.Release"/>, notes
    /// "<c>reason leaves</c>" and releases the write; then it runs what the body deferred when the
    /// Coordinator says so.
    /// </summary>
    public Writer RequestWrite(string reason, Func<WriteScope, Task>? body = null, bool hold = false)
    {
        var writer = new Writer(reason, hold);
        var props = Props.Create(() => new WriterActor(Coordinator, writer, body, Monitor, Journal)).WithDispatcher(CallingThreadDispatcher.Id);
        writer.Ref = Sys.ActorOf(props, $"writer-{Interlocked.Increment(ref _writers)}");
        // Its PreStart sent RequestWrite: a scenario's steps from here on see it.
        Started(writer.Ref, $"writer {reason} started", []);
        return writer;
    }

    /// <summary>Same, with a synchronous body.</summary>
    public Writer RequestWrite(string reason, Action<WriteScope> body, bool hold = false) =>
        RequestWrite(reason, section =>
        {
            body(section);
            return Task.CompletedTask;
        }, hold);

    // ---- status

    /// <summary>The Coordinator's status (a manual Coordinator is stepped, and nothing else, to answer).</summary>
    public GraphLockStatus Status()
    {
        var reply = Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Limit * 2);
        return Await(reply, "the Coordinator answered QueryGraphLock", CoordinatorLoop is null ? [] : [CoordinatorLoop]);
    }

    /// <summary>An IoThread's status (a manual IoThread is stepped, and nothing else, to answer).</summary>
    public IoThreadStatus IoStatus(IoThreadHandle io)
    {
        var reply = io.Ref.Ask<IoThreadStatus>(QueryIoThread.Instance, Limit * 2);
        return Await(reply, $"IoThread '{io.Name}' answered QueryIoThread", [io.Loop]);
    }

    /// <summary>The last report the Coordinator holds from <paramref name="context"/>, or null when it is not registered.</summary>
    public ContextStatus? Context(string context) => Status().Contexts.SingleOrDefault(c => c.Context == context);

    /// <summary>Fails unless the monitor saw no reader inside a write section and no overlapping writes.</summary>
    public void AssertNoViolations() =>
        Assert.True(Monitor.Violations == 0, $"The graph lock was violated {Monitor.Violations} time(s); first: {Monitor.FirstViolation}.");

    // ---- stepping and waiting

    /// <summary>One iteration of each manual loop (of <paramref name="loops"/> only, when given); true when any ran something.</summary>
    public bool Step(IReadOnlyCollection<EventLoop>? loops = null)
    {
        var progress = false;
        foreach (var loop in Manual(loops))
        {
            progress |= loop.RunOnce();
        }
        return progress;
    }

    /// <summary>
    /// Steps the manual loops (of <paramref name="loops"/> only, when given) until
    /// <paramref name="condition"/> holds; waits for threaded parts meanwhile. Bounded: fails
    /// after <see cref="WaitLimit"/> naming <paramref name="what"/>.
    /// </summary>
    public void StepUntil(Func<bool> condition, string what, IReadOnlyCollection<EventLoop>? loops = null)
    {
        if (condition())
        {
            return;
        }
        _kit.AwaitCondition(() =>
        {
            // Step while the loops make progress; when they are idle, what we wait for is on
            // another thread (a thread-pool actor, a threaded loop): poll again shortly.
            for (var i = 0; i < 10_000; i++)
            {
                if (condition())
                {
                    return true;
                }
                if (!Step(loops))
                {
                    break;
                }
            }
            return condition();
        }, WaitLimit, TimeSpan.FromMilliseconds(1), what);
    }

    /// <summary>Steps until <paramref name="task"/> completes, then returns its result (or throws its failure).</summary>
    public T Await<T>(Task<T> task, string what, IReadOnlyCollection<EventLoop>? loops = null)
    {
        StepUntil(() => task.IsCompleted, what, loops);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Steps until <paramref name="task"/> completes (throws its failure).</summary>
    public void Await(Task task, string what, IReadOnlyCollection<EventLoop>? loops = null)
    {
        StepUntil(() => task.IsCompleted, what, loops);
        task.GetAwaiter().GetResult();
    }

    /// <summary>Steps the manual loops (of <paramref name="loops"/> only, when given) until <paramref name="actor"/> terminated.</summary>
    public void StepUntilTerminated(IActorRef actor, string what, IReadOnlyCollection<EventLoop>? loops = null)
    {
        var watcher = _kit.CreateTestProbe(Sys);
        watcher.Watch(actor);
        StepUntil(() => watcher.HasMessages, what, loops);
        watcher.ExpectTerminated(actor, TimeSpan.Zero);
    }

    /// <summary>Steps every manual loop until none has anything left to run (bounded).</summary>
    public void StepUntilIdle()
    {
        for (var i = 0; i < 100_000; i++)
        {
            if (!Step())
            {
                return;
            }
        }
        throw new InvalidOperationException("The manual loops did not go idle within 100000 rounds (something reschedules itself forever).");
    }

    private List<EventLoop> Manual(IReadOnlyCollection<EventLoop>? loops)
    {
        lock (_lock)
        {
            return loops is null ? [.. _manual] : [.. loops.Where(_manual.Contains)];
        }
    }

    /// <summary>
    /// Hands the manual loops to threads (so the system can stop the actors on them), stops the
    /// actor system, then disposes every loop.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        List<EventLoop> loops;
        lock (_lock)
        {
            foreach (var loop in _manual)
            {
                loop.StartThread();
            }
            _manual.Clear();
            loops = [.. _loops];
        }
        var terminated = Sys.Terminate().Wait(Limit);
        var disposed = Task.Run(() =>
        {
            foreach (var loop in loops)
            {
                loop.Dispose();
            }
        }).Wait(Limit);
        if (!terminated)
        {
            throw new TimeoutException($"Actor system {Sys.Name} did not stop within {Limit}: an actor on a loop is stuck.");
        }
        if (!disposed)
        {
            throw new TimeoutException($"The event loops of {Sys.Name} did not stop within {Limit}.");
        }
    }
}

/// <summary>An IoThread started by the harness: its actor, its loop, and (once started) its instance.</summary>
internal sealed class IoThreadHandle(string name, EventLoop loop, IActorRef actor)
{
    public string Name { get; } = name;

    public EventLoop Loop { get; } = loop;

    public IActorRef Ref { get; } = actor;

    /// <summary>The IoThread actor; use it only on its loop (<see cref="GraphLockHarness.RunOn(IoThreadHandle, Action{IoThread})"/>).</summary>
    public IoThread Instance => Loop.Owner as IoThread ?? throw new InvalidOperationException($"IoThread '{Name}' has not started.");

    public override string ToString() => Name;
}

/// <summary>A host aggregator started by the harness: its context id (<c>host:&lt;name&gt;</c>), loop and actor.</summary>
internal sealed record HostHandle(string Context, EventLoop Loop, IActorRef Ref);

/// <summary>One request inside (or waiting for) the graph: what a node actor does around an I/O request.</summary>
internal sealed class Reader
{
    /// <summary>The request type a reader names when it unlocks (its name stands for its node).</summary>
    public const string Kind = "read";

    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Reader(string name, IoThreadHandle lockedOn)
    {
        Name = name;
        LockedOn = lockedOn;
    }

    public string Name { get; }

    /// <summary>The IoThread it took the lock on.</summary>
    public IoThreadHandle LockedOn { get; }

    /// <summary>
    /// The lock itself: complete at once on the fast path; while a writer is active it completes
    /// when the write ends (the IoThread counts the reader from that moment).
    /// </summary>
    public Task Granted { get; private set; } = Task.CompletedTask;

    /// <summary>Completes when the reader's own code ran, after the lock, on its loop.</summary>
    public Task Entered => _entered.Task;

    /// <summary>Waiting for a write to end.</summary>
    public bool IsParked => !Granted.IsCompleted;

    /// <summary>Holds the read lock right now (granted, not yet released).</summary>
    public bool Holds => Granted.IsCompletedSuccessfully && !IsReleased;

    public bool IsReleased { get; private set; }

    /// <summary>Where it unlocked.</summary>
    public IoThreadHandle? UnlockedOn { get; private set; }

    public override string ToString() => Name;

    /// <summary>
    /// The reader's code died with its IoThread (a killed IoThread's requests cannot still run):
    /// it will never unlock, so the referee stops counting it.
    /// </summary>
    public void Abandon(GraphLockMonitor monitor)
    {
        IsReleased = true;
        monitor.ExitRead();
    }

    internal void Released(IoThreadHandle on)
    {
        IsReleased = true;
        UnlockedOn = on;
    }

    /// <summary>On the loop: takes the lock (Granted is set before this returns), then runs the rest.</summary>
    internal void Start(IoThread iothread, Journal journal, bool thenUnlock)
    {
        try
        {
            Granted = iothread.ReadLockAsync().AsTask();
        }
        catch (Exception e)
        {
            Granted = Task.FromException(e);
            _entered.TrySetException(e);
            return;
        }
        _ = RunAsync(iothread, journal, thenUnlock);
    }

    private async Task RunAsync(IoThread iothread, Journal journal, bool thenUnlock)
    {
        try
        {
            // Parked: the continuation is posted to this loop when the write ends.
            await Granted;
        }
        catch (Exception e)
        {
            _entered.TrySetException(e);
            return;
        }
        journal.Add(Name + " reads");
        _entered.TrySetResult();
        if (thenUnlock)
        {
            iothread.ReadUnlock(Name, Kind);
            Released(LockedOn);
        }
    }
}

/// <summary>A write a scenario requested (its <see cref="WriterActor"/>): when it entered and left, and its outcome.</summary>
internal sealed class Writer
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<WriteCompleted> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Writer(string reason, bool hold)
    {
        Reason = reason;
        Hold = hold;
    }

    public string Reason { get; }

    /// <summary>Stays in the write section after its body until <see cref="Release"/>.</summary>
    public bool Hold { get; }

    /// <summary>The writer actor.</summary>
    public IActorRef Ref { get; internal set; } = ActorRefs.Nobody;

    /// <summary>The body started: the write section is open.</summary>
    public Task Entered => _entered.Task;

    /// <summary>The body finished (and a held write was let go).</summary>
    public Task Exited => _exited.Task;

    /// <summary>The write was released (<see cref="ReleaseWrite"/> sent): its epoch and wait, or the body's failure.</summary>
    public Task<WriteCompleted> Completed => _completed.Task;

    /// <summary>The section the body was given (to check it is closed afterwards).</summary>
    public WriteScope? Section { get; private set; }

    /// <summary>Readers inside the graph, by the monitor's count, when the body started (0 for a correct lock).</summary>
    public int ReadersAtEntry { get; private set; } = -1;

    /// <summary>Lets a held write go: the writer releases it.</summary>
    public void Release() => Ref.Tell(WriterActor.LetGo.Instance, ActorRefs.NoSender);

    public override string ToString() => Reason;

    internal void OnEntered(WriteScope section, int readers)
    {
        Section = section;
        ReadersAtEntry = readers;
        _entered.TrySetResult();
    }

    internal void OnExited() => _exited.TrySetResult();

    internal void OnReleased(WriteCompleted completed, Exception? failure)
    {
        if (failure is null)
        {
            _completed.TrySetResult(completed);
        }
        else
        {
            _completed.TrySetException(failure);
        }
    }
}

/// <summary>
/// What a write body holds: the writer's <see cref="WriteSection"/> token, and the deferred work
/// it schedules (QEMU's <c>bdrv_schedule_unref</c>), which its writer runs after the unlock.
/// </summary>
internal sealed class WriteScope(WriteSection section)
{
    private readonly List<DeferredAction> _deferred = [];

    public WriteSection Section { get; } = section;

    public long Epoch => Section.Epoch;

    /// <summary>False once the writer released the write.</summary>
    public bool IsOpen => Section.IsOpen;

    public void AssertWritable() => Section.AssertWritable();

    /// <summary>
    /// Runs <paramref name="action"/> right after write-unlock, once parked readers resumed, in
    /// the order deferred, exactly once. It may request writes of its own through its
    /// <see cref="DeferredScope"/>. Only while the section is open.
    /// </summary>
    public void Defer(string description, Func<DeferredScope, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        AssertWritable();
        lock (_deferred)
        {
            _deferred.Add(new DeferredAction(description, action));
        }
    }

    /// <summary>What the body deferred (read by the writer once the body finished).</summary>
    internal List<DeferredAction> TakeDeferred()
    {
        lock (_deferred)
        {
            var taken = _deferred.ToList();
            _deferred.Clear();
            return taken;
        }
    }
}

/// <summary>Work deferred inside a write section.</summary>
internal sealed record DeferredAction(string Description, Func<DeferredScope, Task> Run);

/// <summary>What a deferred action may do: take the write lock itself (its writer is served before queued writers).</summary>
internal sealed class DeferredScope(IActorRef writer)
{
    /// <summary>
    /// Runs <paramref name="body"/> in a new write section of the same writer; completes once it
    /// was released and the Coordinator let the deferred work go on (<see cref="RunDeferred"/>).
    /// </summary>
    public Task<WriteCompleted> WriteAsync(string reason, Func<WriteScope, Task> body)
    {
        var completion = new TaskCompletionSource<WriteCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        writer.Tell(new WriterActor.NestedWrite(reason, body, completion), writer);
        return completion.Task;
    }
}

/// <summary>An ordered, thread-safe record of what happened in a scenario.</summary>
internal sealed class Journal
{
    private readonly Lock _lock = new();
    private readonly List<string> _entries = [];

    public void Add(string entry)
    {
        lock (_lock)
        {
            _entries.Add(entry);
        }
    }

    public IReadOnlyList<string> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The entries that start with one of <paramref name="prefixes"/>, in order.</summary>
    public IReadOnlyList<string> Only(params string[] prefixes) =>
        [.. Entries.Where(e => prefixes.Any(p => e.StartsWith(p, StringComparison.Ordinal)))];

    public override string ToString() => string.Join(", ", Entries);
}
