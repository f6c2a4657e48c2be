using Actors.Cell;
using Actors.Core;
using Actors.Messages;

namespace Actors.GraphLock;

/// <summary>
/// The only writer of the block graph (QEMU's main loop holding the BQL). It registers the
/// contexts readers run on (IoThreads, or host aggregators summing them), and for each write:
/// stops new readers everywhere (<see cref="BeginWrite"/>), waits until every context reported
/// for the epoch and the orphaned balance plus all reports is zero, runs the write body, then
/// unlocks (<see cref="EndWrite"/>) and runs the deferred actions scheduled inside the section.
/// Writers are served one at a time, in request order.
/// </summary>
public sealed class Coordinator : ActorBase
{
    private readonly GraphLockOptions _options;
    private readonly ContextTable _contexts = new();
    private readonly Queue<PendingWrite> _queued = new();
    private readonly Queue<PendingWrite> _nested = new();
    private readonly Queue<DeferredAction> _deferred = new();
    private readonly HashSet<string> _awaitingWriteEnded = new(StringComparer.Ordinal);
    private readonly LatencyRecorder _writeWait = new();
    private PendingWrite? _current;
    private WriteSection? _section;
    private TaskCompletionSource? _writeEndedWaiter;
    private bool _runningDeferred;
    private long _epoch;
    private long _writesDone;
    private long _deferredRun;
    private long _deferredFailed;

    public Coordinator(GraphLockOptions options)
    {
        _options = options;
    }

    /// <summary>Props for a Coordinator.</summary>
    public static Props Props(GraphLockOptions options) => Core.Props.Create(() => new Coordinator(options));

    private bool HasWriter => _current is not null;

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case ReaderReport report:
                _contexts.Report(report.Context, report.Epoch, report.Readers, report.Parked);
                CheckDrained();
                return true;
            case WriteEnded ended:
                if (ended.Epoch == _epoch)
                {
                    _awaitingWriteEnded.Remove(ended.Context);
                    CheckWriteEnded();
                }
                return true;
            case RequestWrite request:
                _queued.Enqueue(new PendingWrite(request.Reason, request.Body, Sender, null, Now));
                TryStartNextWrite();
                return true;
            case RegisterContext register:
                OnRegister(register);
                return true;
            case UnregisterContext unregister:
                if (_contexts.Unregister(unregister.Context, unregister.Balance))
                {
                    ContextGone(unregister.Context);
                }
                return true;
            case Terminated terminated:
                if (_contexts.Drop(terminated.ActorRef) is { } id)
                {
                    CoordinatorLog.ContextDied(Context.GetLogger(), id);
                    ContextGone(id);
                }
                return true;
            case RequestRead read:
                AnswerRead(read);
                return true;
            case QueryGraphLock:
                Sender.Tell(Status(), Self);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Throws unless the caller runs on this Coordinator (the main loop).</summary>
    internal void AssertOnCoordinator()
    {
        if (ActorCell.Current?.Actor != this)
        {
            throw new InvalidOperationException("This must run on the Coordinator (the graph's only writer).");
        }
    }

    internal void Defer(DeferredAction action) => _deferred.Enqueue(action);

    internal Task<WriteCompleted> NestedWrite(string reason, Func<WriteSection, Task> body)
    {
        AssertOnCoordinator();
        var completion = new TaskCompletionSource<WriteCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        _nested.Enqueue(new PendingWrite(reason, body, Nobody.Instance, completion, Now));
        TryStartNextWrite();
        return completion.Task;
    }

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    /// <summary>
    /// A context joins. It parks its readers until it hears back, so Case 1 (no writer): it is
    /// told so and lets readers run; Case 2 (a writer waits or writes): it is told the epoch,
    /// keeps parking and reports, and the writer waits for that report too (scenario: a context
    /// registered while a writer waits receives BeginWrite and parks its readers).
    /// </summary>
    private void OnRegister(RegisterContext register)
    {
        _contexts.Register(register.Context, register.Ref);
        Context.Watch(register.Ref);
        register.Ref.Tell(new ContextRegistered(register.Context, _epoch, HasWriter), Self);
    }

    private void ContextGone(string id)
    {
        _awaitingWriteEnded.Remove(id);
        CheckDrained();
        CheckWriteEnded();
    }

    /// <summary>
    /// Starts the next writer unless one is active. Writes requested by a running deferred
    /// action go first; queued writes wait until the deferred actions are done, so nothing
    /// unrelated runs between a write-unlock and its deferred actions.
    /// </summary>
    private void TryStartNextWrite()
    {
        if (HasWriter)
        {
            return;
        }
        if (!_nested.TryDequeue(out var next) && (_runningDeferred || !_queued.TryDequeue(out next)))
        {
            return;
        }
        _current = next;
        _epoch++;
        // Step 1 of the write side: stop new readers everywhere before waiting for the old ones.
        foreach (var context in _contexts.Refs)
        {
            context.Tell(new BeginWrite(_epoch), Self);
        }
        CheckDrained();
    }

    /// <summary>
    /// Step 3: enter once every registered context reported for this epoch and the sum is zero.
    /// A context that reported 1 and then unlocked reports again (it reports every change while
    /// a writer waits), so the last unlock is never missed, whichever order reports arrive in.
    /// </summary>
    private void CheckDrained()
    {
        if (!HasWriter || _section is not null || !_contexts.AllReported(_epoch) || _contexts.Readers != 0)
        {
            return;
        }
        EnterWriteSection();
    }

    private void EnterWriteSection()
    {
        var write = _current!;
        var waited = Now - write.RequestedAt;
        _writeWait.Record(waited);
        _options.Monitor?.EnterWrite();
        var section = _section = new WriteSection(this, _epoch);
        RunInterleaved(async () =>
        {
            Exception? failure = null;
            try
            {
                await write.Body(section);
            }
            catch (Exception e)
            {
                failure = e;
            }
            WriteUnlock(write, section, waited, failure);
        });
    }

    /// <summary>
    /// Step 5: unlock, tell every context (its parked readers resume, in order, before any later
    /// BeginWrite reaches it: messages between two actors stay in order), answer the writer,
    /// then run the deferred actions once every context confirmed the resume.
    /// </summary>
    private void WriteUnlock(PendingWrite write, WriteSection section, TimeSpan waited, Exception? failure)
    {
        section.Close();
        _options.Monitor?.ExitWrite();
        _section = null;
        _current = null;
        _writesDone++;
        _awaitingWriteEnded.Clear();
        foreach (var id in _contexts.Ids)
        {
            _awaitingWriteEnded.Add(id);
        }
        foreach (var context in _contexts.Refs)
        {
            context.Tell(new EndWrite(section.Epoch), Self);
        }
        Answer(write, section.Epoch, waited, failure);
        if (_deferred.Count > 0 && !_runningDeferred)
        {
            _runningDeferred = true;
            RunInterleaved(RunDeferredActions);
        }
        CheckWriteEnded();
        TryStartNextWrite();
    }

    private void Answer(PendingWrite write, long epoch, TimeSpan waited, Exception? failure)
    {
        if (failure is not null)
        {
            CoordinatorLog.WriteFailed(Context.GetLogger(), write.Reason, epoch, failure);
            write.Completion?.TrySetException(failure);
            write.Requester.Tell(new Status.Failure(failure), Self);
            return;
        }
        var completed = new WriteCompleted(epoch, waited);
        write.Completion?.TrySetResult(completed);
        write.Requester.Tell(completed, Self);
    }

    /// <summary>
    /// Runs deferred actions one by one, in order, each exactly once. Before each, it waits until
    /// every context confirmed the last EndWrite, so they run after parked readers resumed. A
    /// deferred action may take the write lock itself (<see cref="DeferredContext.WriteAsync"/>):
    /// that write starts even though queued writers wait, so it cannot deadlock.
    /// </summary>
    private async Task RunDeferredActions()
    {
        var context = new DeferredContext(this);
        while (true)
        {
            if (_awaitingWriteEnded.Count > 0)
            {
                _writeEndedWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await _writeEndedWaiter.Task;
            }
            if (!_deferred.TryDequeue(out var action))
            {
                break;
            }
            try
            {
                await action.Run(context);
                _deferredRun++;
            }
            catch (Exception e)
            {
                // Reported, counted and not retried: one failing action must not stop the others.
                _deferredFailed++;
                CoordinatorLog.DeferredActionFailed(Context.GetLogger(), action.Description, e);
            }
        }
        _runningDeferred = false;
        TryStartNextWrite();
    }

    private void CheckWriteEnded()
    {
        if (_awaitingWriteEnded.Count == 0 && _writeEndedWaiter is { } waiter)
        {
            _writeEndedWaiter = null;
            waiter.TrySetResult();
        }
    }

    /// <summary>A failing read is the reader's problem: it gets the exception, the Coordinator keeps its state.</summary>
    private void AnswerRead(RequestRead read)
    {
        object answer;
        try
        {
            answer = read.Read();
        }
        catch (Exception e)
        {
            answer = new Status.Failure(e);
        }
        Sender.Tell(answer, Self);
    }

    private GraphLockStatus Status() => new(
        [.. _contexts.Status()],
        _contexts.Orphaned,
        HasWriter,
        _section is not null,
        _epoch,
        _queued.Count + _nested.Count,
        _writesDone,
        _deferredRun,
        _deferredFailed,
        _writeWait.Summary());

    private sealed record PendingWrite(
        string Reason,
        Func<WriteSection, Task> Body,
        IActorRef Requester,
        TaskCompletionSource<WriteCompleted>? Completion,
        DateTimeOffset RequestedAt);
}
