namespace Actors.Cell;

internal sealed partial class ActorCell
{
    private bool _awaitingHandler;
    private Task? _awaitedHandler;
    private ActorSynchronizationContext? _synchronizationContext;

    /// <summary>
    /// Runs an async handler. If it does not complete at once, user messages wait until it does
    /// (system messages keep flowing), and its continuations are posted back to this actor, so
    /// code after an <c>await</c> runs in the actor's context, one step at a time.
    /// </summary>
    internal void RunTask(Func<Task> handler)
    {
        var task = RunInActorContext(static state => ((Func<Task>)state!)(), handler);
        if (task.IsCompletedSuccessfully)
        {
            return;
        }
        if (task.IsCompleted)
        {
            // Rethrows the handler's own exception, which supervision then handles.
            task.GetAwaiter().GetResult();
        }
        _awaitingHandler = true;
        _awaitedHandler = task;
        task.ContinueWith(
            static (completed, state) => ((ActorCell)state!).PostSystem(new SystemMessage.HandlerCompleted(completed)),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// Runs an async flow whose continuations run in this actor's context, interleaved with its
    /// other messages (a coroutine in an event loop): unlike <see cref="RunTask"/>, later
    /// messages do not wait for it. If the flow fails, the actor fails with its exception.
    /// </summary>
    internal void RunInterleaved(Func<Task> flow)
    {
        var task = RunInActorContext(static state => ((Func<Task>)state!)(), flow);
        if (task.IsCompletedSuccessfully)
        {
            return;
        }
        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
        }
        task.ContinueWith(
            static (failed, state) => ((ActorCell)state!).PostSystem(new SystemMessage.InterleavedFailed(failed.Exception!)),
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void RunContinuation(SystemMessage.Continuation continuation) =>
        RunInActorContext(static state =>
        {
            var (callback, callbackState) = ((SendOrPostCallback, object?))state!;
            callback(callbackState);
            return Task.CompletedTask;
        }, (continuation.Callback, continuation.State));

    private void HandlerCompleted(Task task)
    {
        // A handler of a failed (restarted) incarnation may complete while the new incarnation
        // awaits its own: only the awaited one lets user messages flow again.
        if (!_awaitingHandler || !ReferenceEquals(task, _awaitedHandler))
        {
            return;
        }
        _awaitingHandler = false;
        _awaitedHandler = null;
        if (task.Exception is { } failure)
        {
            HandleInvokeFailure(failure.InnerExceptions.Count == 1 ? failure.InnerExceptions[0] : failure);
        }
        _current = default;
    }

    private Task RunInActorContext(Func<object?, Task> body, object? state)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_synchronizationContext ??= new ActorSynchronizationContext(this));
        try
        {
            return body(state);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Posts continuations of an actor's async handlers back into its mailbox.</summary>
    private sealed class ActorSynchronizationContext(ActorCell cell) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) =>
            cell.PostSystem(new SystemMessage.Continuation(d, state));

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new NotSupportedException($"Actor {cell.SelfRef.Path} cannot run code synchronously from another thread.");

        public override SynchronizationContext CreateCopy() => this;
    }
}
