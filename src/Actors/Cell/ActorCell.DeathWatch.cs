using Actors.Core;
using Actors.Messages;

namespace Actors.Cell;

internal sealed partial class ActorCell
{
    private readonly HashSet<IActorRef> _watching = [];
    private readonly HashSet<IActorRef> _watchedBy = [];
    private readonly HashSet<IActorRef> _terminatedQueued = [];

    public IActorRef Watch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (!subject.Equals(SelfRef) && _watching.Add(subject))
        {
            ((ActorRefBase)subject).SendSystemMessage(new SystemMessage.Watch(subject, SelfRef));
        }
        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_watching.Remove(subject))
        {
            ((ActorRefBase)subject).SendSystemMessage(new SystemMessage.Unwatch(subject, SelfRef));
        }
        _terminatedQueued.Remove(subject);
        return subject;
    }

    private void AddWatcher(IActorRef watcher)
    {
        if (_state == CellState.Terminated)
        {
            DeadSystemMessage(new SystemMessage.Watch(SelfRef, watcher));
            return;
        }
        if (!watcher.Equals(SelfRef))
        {
            _watchedBy.Add(watcher);
        }
    }

    private void RemoveWatcher(IActorRef watcher) => _watchedBy.Remove(watcher);

    /// <summary>A watched actor or a child stopped.</summary>
    private void HandleDeathWatchNotification(SystemMessage.DeathWatchNotification notification)
    {
        var actor = notification.Actor;
        if (_watching.Remove(actor) && _state is not (CellState.Terminating or CellState.Terminated))
        {
            // Delivered through the user queue, after what the dead actor sent before it died.
            _terminatedQueued.Add(actor);
            Post(new Terminated(actor, notification.ExistenceConfirmed), actor);
        }
        if (RemoveChild(actor))
        {
            _restartStatistics.Remove(actor);
            _stoppingChildren.Remove(actor);
            _escalatedChildren.Remove(actor);
            ChildStopped();
        }
    }

    /// <summary>True when a queued <see cref="Terminated"/> is still wanted (not unwatched since).</summary>
    private bool TakeQueuedTerminated(IActorRef actor) => _terminatedQueued.Remove(actor);

    /// <summary>Tells watchers this actor stopped, and lets go of the actors it watched.</summary>
    private void NotifyWatchersAndUnwatchAll()
    {
        foreach (var watcher in _watchedBy)
        {
            ((ActorRefBase)watcher).SendSystemMessage(new SystemMessage.DeathWatchNotification(SelfRef, ExistenceConfirmed: true));
        }
        _watchedBy.Clear();
        foreach (var watched in _watching)
        {
            ((ActorRefBase)watched).SendSystemMessage(new SystemMessage.Unwatch(watched, SelfRef));
        }
        _watching.Clear();
        _terminatedQueued.Clear();
    }
}
