using Actors.Core;
using Actors.Dispatch;
using Actors.Supervision;

namespace Actors.Cell;

internal sealed partial class ActorCell
{
    private readonly Dictionary<IActorRef, RestartStatistics> _restartStatistics = [];

    // Children whose failure this actor escalated. They stay suspended until the decision about
    // this actor reaches them: resumed with it, restarted with it (if its PreRestart kept them),
    // or stopped with it. Without this, a resumed parent left its failed child suspended forever.
    private readonly HashSet<IActorRef> _escalatedChildren = [];
    private Exception? _restartCause;
    private object? _failedMessage;

    /// <summary>
    /// The actor threw: it stops taking user messages and asks its parent what to do.
    /// System messages keep flowing, so the parent's answer (and a stop) still arrive.
    /// </summary>
    private void HandleInvokeFailure(Exception cause)
    {
        _awaitingHandler = false;
        if (_state is CellState.Terminating or CellState.Terminated or CellState.Failed)
        {
            // Nothing left to supervise (stopping) or the parent is already deciding.
            RuntimeLog.FailureWhileNotRunning(System.Log, SelfRef.Path.ToString(), _state.ToString(), cause);
            return;
        }
        _state = CellState.Failed;
        _failedMessage = _current.Message;
        ParentRef.SendSystemMessage(new SystemMessage.Failed(SelfRef, cause));
    }

    /// <summary>A child failed: apply the supervisor strategy of this actor (or of its props).</summary>
    private void HandleChildFailure(IActorRef child, Exception cause)
    {
        if (FindChild(child.Path.Name) is not { } known || !known.Equals(child))
        {
            return;
        }
        var strategy = Props.SupervisorStrategy ?? _actor?.InvokeSupervisorStrategy() ?? SupervisorStrategy.Default;
        if (!_restartStatistics.TryGetValue(child, out var statistics))
        {
            _restartStatistics[child] = statistics = new RestartStatistics();
        }
        var directive = strategy.Decide(child, cause, statistics, System.Scheduler.Now);
        RuntimeLog.ChildFailed(System.Log, child.Path.ToString(), directive, cause);
        var target = (ActorRefBase)child;
        switch (directive)
        {
            case Directive.Resume:
                target.SendSystemMessage(SystemMessage.Resume.Instance);
                break;
            case Directive.Restart:
                target.SendSystemMessage(new SystemMessage.Recreate(cause));
                break;
            case Directive.Stop:
                Stop(child);
                break;
            case Directive.Escalate:
                _escalatedChildren.Add(child);
                _current = default;
                HandleInvokeFailure(cause);
                break;
        }
    }

    private void HandleResume()
    {
        if (_state == CellState.Failed)
        {
            _state = CellState.Running;
            _failedMessage = null;
            foreach (var child in _escalatedChildren)
            {
                ((ActorRefBase)child).SendSystemMessage(SystemMessage.Resume.Instance);
            }
            _escalatedChildren.Clear();
        }
    }

    /// <summary>
    /// Restart: the failed instance runs PreRestart (by default stopping its children), and once
    /// the children it stopped are gone a fresh instance takes over the same mailbox (children
    /// PreRestart kept stay). The message that failed is not retried; the ones queued behind it are kept.
    /// </summary>
    private void HandleRecreate(Exception cause)
    {
        if (_state != CellState.Failed)
        {
            return;
        }
        try
        {
            _actor?.InvokePreRestart(cause, _failedMessage);
        }
        catch (Exception hookFailure)
        {
            RuntimeLog.HookFailed(System.Log, "PreRestart", SelfRef.Path.ToString(), hookFailure);
        }
        _timers?.CancelAll();
        _stash?.UnstashAll();
        _failedMessage = null;
        _restartCause = cause;
        _state = CellState.Restarting;
        if (_stoppingChildren.Count == 0)
        {
            FinishRecreate();
        }
    }

    private void FinishRecreate()
    {
        var cause = _restartCause!;
        _restartCause = null;
        _state = CellState.Running;
        try
        {
            NewActor().InvokePostRestart(cause);
        }
        catch (Exception failure)
        {
            // PostRestart runs PreStart by default: like a failed first start (Create), a fresh
            // instance that cannot start is an initialization failure, which the default strategy
            // stops. Reported as the plain exception, it was restarted again, forever.
            throw new Messages.ActorInitializationException(SelfRef.Path.ToString(), failure);
        }
        // Escalated children PreRestart stopped are gone by now; the ones it kept restart too.
        foreach (var child in _escalatedChildren)
        {
            ((ActorRefBase)child).SendSystemMessage(new SystemMessage.Recreate(cause));
        }
        _escalatedChildren.Clear();
    }

    /// <summary>Stop: children first, then PostStop, then watchers and the parent learn of it.</summary>
    private void HandleTerminate()
    {
        if (_state is CellState.Terminating or CellState.Terminated)
        {
            return;
        }
        _state = CellState.Terminating;
        _awaitingHandler = false;
        StopChildren();
        if (!HasChildren)
        {
            FinishTerminate();
        }
    }

    /// <summary>A child is gone: a stop waiting for every child, or a restart waiting for the children it stopped, may now complete.</summary>
    private void ChildStopped()
    {
        if (_state == CellState.Terminating && !HasChildren)
        {
            FinishTerminate();
        }
        else if (_state == CellState.Restarting && _stoppingChildren.Count == 0)
        {
            FinishRecreate();
        }
    }

    private void FinishTerminate()
    {
        _timers?.CancelAll();
        try
        {
            _actor?.InvokePostStop();
        }
        catch (Exception hookFailure)
        {
            RuntimeLog.HookFailed(System.Log, "PostStop", SelfRef.Path.ToString(), hookFailure);
        }
        finally
        {
            _state = CellState.Terminated;
            _actor = null;
            _behaviours.Clear();
            _stash?.DeadLetterAll();
            _mailbox.Close();
            NotifyWatchersAndUnwatchAll();
            ParentRef.SendSystemMessage(new SystemMessage.DeathWatchNotification(SelfRef, ExistenceConfirmed: true));
            _mailbox.Dispatcher.Detach(_mailbox);
        }
    }

    void IMailboxOwner.DeadLetter(in Envelope envelope)
    {
        if (envelope.Message is not (Messages.Terminated or Scheduling.TimerMessage))
        {
            System.DeadLetter(envelope.Message, envelope.Sender, SelfRef);
        }
    }

    void IMailboxOwner.DeadSystemMessage(SystemMessage message) => DeadSystemMessage(message);
}
