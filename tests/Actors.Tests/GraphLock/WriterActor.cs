using Actors.GraphLock;
using Akka.Actor;
using Akka.Event;
using Actors.IoThreads;

namespace Actors.Tests.GraphLock;

/// <summary>
/// A scenario's writer: any actor that changes the graph takes the write lock this way. It asks
/// the Coordinator (<see cref="RequestWrite"/>); on <see cref="WriteGranted"/> it opens its
/// <see cref="WriteSection"/>, notes "<c>reason enters</c>", runs the test's body (a closure of the
/// test, given to this actor: nothing but messages crosses into the Coordinator), stays inside
/// while the test holds it, notes "<c>reason leaves</c>" and sends <see cref="ReleaseWrite"/>, with
/// RunDeferred when the body deferred work. On <see cref="RunDeferred"/> it runs that work in the
/// order deferred, each action once, counting the ones that fail (the others still run); an
/// action may take the write lock itself (<see cref="DeferredScope.WriteAsync"/>): that nested
/// write is requested by this same writer, so the Coordinator serves it before the writers queued
/// meanwhile, and the action goes on at the next RunDeferred. Then <see cref="DeferredDone"/>.
/// </summary>
/// <remarks>
/// A body or action that awaits continues outside this actor; its end comes back as a message
/// (<see cref="BodyDone"/>, <see cref="ActionDone"/>), so this actor's state is only touched in
/// its handlers. What a body defers is collected in its <see cref="WriteScope"/> and taken over
/// when the body finished.
/// </remarks>
internal sealed class WriterActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _coordinator;
    private readonly Writer _writer;
    private readonly Func<WriteScope, Task>? _body;
    private readonly GraphLockMonitor _monitor;
    private readonly Journal _journal;
    private readonly Queue<DeferredAction> _deferred = new();
    private WriteScope? _top;
    private TimeSpan _topWaited;
    private bool _bodyDone;
    private Exception? _bodyFailure;
    private bool _letGo;
    private Nested? _nested;
    private bool _runningDeferred;
    private long _deferredEpoch;
    private int _ran;
    private int _failed;

    public WriterActor(IActorRef coordinator, Writer writer, Func<WriteScope, Task>? body, GraphLockMonitor monitor, Journal journal)
    {
        _coordinator = coordinator;
        _writer = writer;
        _body = body;
        _monitor = monitor;
        _journal = journal;
        Receive<WriteGranted>(OnGranted);
        Receive<BodyDone>(OnBodyDone);
        Receive<LetGo>(_ =>
        {
            _letGo = true;
            TryRelease();
        });
        Receive<RunDeferred>(OnRunDeferred);
        Receive<NestedWrite>(OnNestedWrite);
        Receive<ActionDone>(done =>
        {
            Count(done.Action, done.Task);
            RunNextDeferred();
        });
    }

    protected override void PreStart() => _coordinator.Tell(new RequestWrite(_writer.Reason), Self);

    private void OnGranted(WriteGranted granted)
    {
        var scope = new WriteScope(new WriteSection(granted.Epoch));
        Func<WriteScope, Task>? body;
        if (_nested is { Scope: null } nested)
        {
            nested.Scope = scope;
            nested.Waited = granted.Waited;
            body = nested.Request.Body;
        }
        else if (_top is null)
        {
            _top = scope;
            _topWaited = granted.Waited;
            _journal.Add(_writer.Reason + " enters");
            _writer.OnEntered(scope, _monitor.Readers);
            body = _body;
        }
        else
        {
            throw new InvalidOperationException($"Writer {_writer.Reason} was granted write {granted.Epoch} it did not ask for.");
        }
        var task = OnCallersLoop(() => body?.Invoke(scope) ?? Task.CompletedTask);
        if (task.IsCompleted)
        {
            OnBodyDone(new BodyDone(scope, FailureOf(task)));
            return;
        }
        var self = Self;
        task.ContinueWith(t => self.Tell(new BodyDone(scope, FailureOf(t)), self), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void OnBodyDone(BodyDone done)
    {
        var deferred = done.Scope.TakeDeferred();
        deferred.ForEach(_deferred.Enqueue);
        if (done.Scope == _top)
        {
            _bodyDone = true;
            _bodyFailure = done.Failure;
            TryRelease();
        }
        else if (_nested is { } nested && nested.Scope == done.Scope)
        {
            nested.Failure = done.Failure;
            nested.Released = true;
            // The Coordinator lets this writer go on with RunDeferred whether or not it deferred more.
            _coordinator.Tell(done.Scope.Section.Release(runDeferred: deferred.Count > 0), Self);
        }
    }

    /// <summary>Releases the write once the body finished and, for a held write, the test let it go.</summary>
    private void TryRelease()
    {
        if (!_bodyDone || (_writer.Hold && !_letGo) || _top is not { IsOpen: true } top)
        {
            return;
        }
        _journal.Add(_writer.Reason + " leaves");
        _writer.OnExited();
        var release = top.Section.Release(runDeferred: _deferred.Count > 0);
        _coordinator.Tell(release, Self);
        _writer.OnReleased(new WriteCompleted(release.Epoch, _topWaited), _bodyFailure);
    }

    private void OnRunDeferred(RunDeferred run)
    {
        _deferredEpoch = run.Epoch;
        if (_nested is { Released: true } nested)
        {
            // The nested write is over and every context resumed its readers: its action goes on
            // (and reports ActionDone when it finishes).
            _nested = null;
            if (nested.Failure is { } failure)
            {
                nested.Request.Completion.TrySetException(failure);
            }
            else
            {
                nested.Request.Completion.TrySetResult(new WriteCompleted(nested.Scope!.Epoch, nested.Waited));
            }
            return;
        }
        if (_runningDeferred)
        {
            _log.Warning("Writer {0} got RunDeferred({1}) while its deferred work runs and no nested write was released; ignored.", _writer.Reason, run.Epoch);
            return;
        }
        _runningDeferred = true;
        RunNextDeferred();
    }

    /// <summary>Runs the deferred actions in order; one that awaits resumes the rest from <see cref="ActionDone"/>.</summary>
    private void RunNextDeferred()
    {
        while (_deferred.TryDequeue(out var action))
        {
            _ran++;
            var scope = new DeferredScope(Self);
            var task = OnCallersLoop(() => action.Run(scope));
            if (!task.IsCompleted)
            {
                var self = Self;
                task.ContinueWith(t => self.Tell(new ActionDone(action, t), self), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return;
            }
            Count(action, task);
        }
        _runningDeferred = false;
        _coordinator.Tell(new DeferredDone(_deferredEpoch, _ran, _failed), Self);
        _ran = 0;
        _failed = 0;
    }

    private void Count(DeferredAction action, Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }
        // Reported, counted and not retried: one failing action must not stop the others.
        _failed++;
        _log.Warning("Deferred action {0} of writer {1} failed: {2}", action.Description, _writer.Reason, FailureOf(task)?.Message);
    }

    private void OnNestedWrite(NestedWrite request)
    {
        if (!_runningDeferred || _nested is not null)
        {
            request.Completion.TrySetException(new InvalidOperationException($"Writer {_writer.Reason}: a nested write is taken from a running deferred action, one at a time."));
            return;
        }
        _nested = new Nested(request);
        _coordinator.Tell(new RequestWrite(request.Reason), Self);
    }

    /// <summary>
    /// Starts test code (a body, a deferred action) so that what it runs after an <c>await</c>
    /// goes back to the loop this writer was called on: the Coordinator's, when it is manual, so a
    /// scenario steps it like the rest. The calling-thread dispatcher clears the synchronization
    /// context for an actor's handlers; without this, the rest of a body would run on the thread
    /// pool, unstepped.
    /// </summary>
    private static Task OnCallersLoop(Func<Task> start)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(EventLoop.Current?.SynchronizationContext);
        try
        {
            return start();
        }
        catch (Exception e)
        {
            return Task.FromException(e);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private static Exception? FailureOf(Task task) =>
        task.IsFaulted ? task.Exception!.InnerException : task.IsCanceled ? new TaskCanceledException(task) : null;

    /// <summary>The test lets a held write go.</summary>
    internal sealed class LetGo
    {
        public static readonly LetGo Instance = new();
    }

    /// <summary>A deferred action takes the write lock itself.</summary>
    internal sealed record NestedWrite(string Reason, Func<WriteScope, Task> Body, TaskCompletionSource<WriteCompleted> Completion);

    private sealed record BodyDone(WriteScope Scope, Exception? Failure);

    private sealed record ActionDone(DeferredAction Action, Task Task);

    private sealed class Nested(NestedWrite request)
    {
        public NestedWrite Request { get; } = request;

        public WriteScope? Scope { get; set; }

        public TimeSpan Waited { get; set; }

        public bool Released { get; set; }

        public Exception? Failure { get; set; }
    }
}
