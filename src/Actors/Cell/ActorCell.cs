using Actors.Core;
using Actors.Dispatch;
using Actors.Messages;
using Actors.Scheduling;
using Microsoft.Extensions.Logging;

namespace Actors.Cell;

/// <summary>
/// The runtime side of one actor: its instance, behaviours, children, watchers and lifecycle
/// state. Apart from <see cref="ActorOf"/> on guardians (children are created from any thread)
/// every member runs on the thread that currently runs the actor's mailbox, one message at a time.
/// </summary>
internal sealed partial class ActorCell : IActorContext, IMailboxOwner
{
    [ThreadStatic]
    private static ActorCell? t_current;

    private readonly Mailbox _mailbox;
    private readonly List<Receive> _behaviours = [];
    private ActorBase? _actor;
    private Envelope _current;
    private long _delivery;
    private CellState _state = CellState.Creating;
    private ActorStash? _stash;
    private TimerScheduler? _timers;
    private ILogger? _logger;

    public ActorCell(ActorSystem system, LocalActorRef self, Props props, Dispatcher dispatcher, ActorRefBase parent)
    {
        System = system;
        SelfRef = self;
        Props = props;
        ParentRef = parent;
        _mailbox = new Mailbox(dispatcher);
        _mailbox.SetOwner(this);
        dispatcher.Attach(_mailbox, self.Path.ToString());
    }

    /// <summary>The cell of the actor running on this thread, if any.</summary>
    public static ActorCell? Current => t_current;

    public ActorSystem System { get; }

    public Props Props { get; }

    public LocalActorRef SelfRef { get; }

    public ActorRefBase ParentRef { get; }

    public IActorRef Self => SelfRef;

    /// <summary>The current actor instance (null while it is being created or after it stopped).</summary>
    internal ActorBase? Actor => _actor;

    public IActorRef Parent => ParentRef;

    public IActorRef Sender => _current.Sender ?? Nobody.Instance;

    public bool IsTerminated => _state == CellState.Terminated || _mailbox.IsClosed;

    /// <summary>The pinned thread running this actor, when it has one (for tests and diagnostics).</summary>
    internal Thread? PinnedThread => (_mailbox.DispatcherState as PinnedThread)?.Thread;

    /// <summary>Queues the creation of the actor instance on its dispatcher.</summary>
    public void Start() => _mailbox.PostSystem(SystemMessage.Create.Instance);

    public void Post(object message, IActorRef sender)
    {
        if (!_mailbox.Post(new Envelope(message, sender)))
        {
            System.DeadLetter(message, sender, SelfRef);
        }
    }

    public void PostSystem(SystemMessage message)
    {
        if (!_mailbox.PostSystem(message))
        {
            DeadSystemMessage(message);
        }
    }

    public ILogger GetLogger() => _logger ??= System.LoggerFactory.CreateLogger(Props.ActorType.FullName ?? Props.ActorType.Name);

    // ---- behaviours

    public void Become(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        if (_behaviours.Count > 1)
        {
            _behaviours.RemoveAt(_behaviours.Count - 1);
        }
        _behaviours.Add(receive);
    }

    public void BecomeStacked(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        _behaviours.Add(receive);
    }

    public void Unbecome()
    {
        if (_behaviours.Count > 1)
        {
            _behaviours.RemoveAt(_behaviours.Count - 1);
        }
    }

    // ---- IMailboxOwner

    public bool AcceptsUserMessages => _state == CellState.Running && !_awaitingHandler;

    public bool HasUserMessages => _stash?.HasUnstashed == true || _mailbox.HasQueuedUserMessages;

    public bool TryDequeueUser(out Envelope envelope) =>
        (_stash is not null && _stash.TryTakeUnstashed(out envelope)) || _mailbox.TryDequeue(out envelope);

    public void Invoke(in Envelope envelope)
    {
        var previous = t_current;
        t_current = this;
        _current = envelope;
        _delivery++;
        try
        {
            switch (envelope.Message)
            {
                case TimerMessage timer:
                    if (timer.Owner == _timers && _timers.Accept(timer) is { } message)
                    {
                        _current = new Envelope(message, envelope.Sender);
                        ReceiveMessage(message);
                    }
                    break;
                case Terminated terminated:
                    if (TakeQueuedTerminated(terminated.ActorRef))
                    {
                        ReceiveMessage(terminated);
                    }
                    break;
                case PoisonPill:
                    HandleTerminate();
                    break;
                case Kill:
                    throw new ActorKilledException(SelfRef.Path.ToString());
                default:
                    ReceiveMessage(envelope.Message);
                    break;
            }
        }
        catch (Exception cause)
        {
            HandleInvokeFailure(cause);
        }
        finally
        {
            if (!_awaitingHandler)
            {
                _current = default;
            }
            t_current = previous;
        }
    }

    public void SystemInvoke(SystemMessage message)
    {
        var previous = t_current;
        t_current = this;
        try
        {
            switch (message)
            {
                case SystemMessage.Create:
                    Create();
                    break;
                case SystemMessage.Continuation continuation:
                    RunContinuation(continuation);
                    break;
                case SystemMessage.HandlerCompleted completed:
                    HandlerCompleted(completed.Task);
                    break;
                case SystemMessage.InterleavedFailed failed:
                    throw failed.Failure.InnerExceptions.Count == 1 ? failed.Failure.InnerExceptions[0] : failed.Failure;
                case SystemMessage.Terminate:
                    HandleTerminate();
                    break;
                case SystemMessage.Watch watch:
                    AddWatcher(watch.Watcher);
                    break;
                case SystemMessage.Unwatch unwatch:
                    RemoveWatcher(unwatch.Watcher);
                    break;
                case SystemMessage.DeathWatchNotification notification:
                    HandleDeathWatchNotification(notification);
                    break;
                case SystemMessage.Failed failed:
                    HandleChildFailure(failed.Child, failed.Cause);
                    break;
                case SystemMessage.Resume:
                    HandleResume();
                    break;
                case SystemMessage.Recreate recreate:
                    HandleRecreate(recreate.Cause);
                    break;
                default:
                    throw new InvalidOperationException($"Actor {SelfRef.Path} got an unknown system message {message}.");
            }
        }
        catch (Exception cause)
        {
            HandleInvokeFailure(cause);
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>A message that reached this cell after it closed: the lifecycle messages that expect an answer get one.</summary>
    private void DeadSystemMessage(SystemMessage message)
    {
        if (message is SystemMessage.Watch watch && !watch.Watcher.Equals(SelfRef))
        {
            ((ActorRefBase)watch.Watcher).SendSystemMessage(new SystemMessage.DeathWatchNotification(SelfRef, ExistenceConfirmed: false));
        }
    }

    private void ReceiveMessage(object message)
    {
        if (!_behaviours[^1](message))
        {
            _actor!.InvokeUnhandled(message);
        }
    }

    private void Create()
    {
        if (_state != CellState.Creating)
        {
            return;
        }
        _state = CellState.Running;
        try
        {
            NewActor().InvokePreStart();
        }
        catch (Exception cause)
        {
            throw new ActorInitializationException(SelfRef.Path.ToString(), cause);
        }
    }

    /// <summary>Constructs the actor with this cell as its context and resets its behaviour.</summary>
    private ActorBase NewActor()
    {
        _behaviours.Clear();
        _actor = null;
        var actor = Props.Factory();
        if (actor is IWithStash withStash)
        {
            withStash.Stash = _stash ??= new ActorStash(this);
        }
        if (actor is IWithTimers withTimers)
        {
            withTimers.Timers = _timers ??= new TimerScheduler(SelfRef, System.Scheduler);
        }
        _actor = actor;
        _behaviours.Add(actor.InvokeReceive);
        return actor;
    }

    /// <summary>The message being processed, for the stash.</summary>
    internal Envelope CurrentEnvelope => _current;

    /// <summary>Numbers user-message deliveries, so the stash tells two deliveries of the same message object apart.</summary>
    internal long CurrentDelivery => _delivery;

    private enum CellState
    {
        Creating,
        Running,
        Failed,
        Restarting,
        Terminating,
        Terminated,
    }
}
