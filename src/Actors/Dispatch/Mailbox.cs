using System.Collections.Concurrent;
using Actors.Cell;

namespace Actors.Dispatch;

/// <summary>
/// The multi-producer / single-consumer queue of one actor plus its scheduling state.
/// Any thread may post; only the dispatcher thread that won the schedule runs it.
/// </summary>
/// <remarks>
/// No lost wake-up. Producer: enqueue, then <see cref="TrySchedule"/> (CAS idle→scheduled).
/// Consumer, after its batch: clear the scheduled bit (a full fence), then re-check the queues.
/// Case 1: the producer's CAS comes after the clear, so it sees idle and schedules a new run.
/// Case 2: the producer's CAS comes before the clear, so it saw "scheduled" and did nothing;
/// its enqueue happened before that CAS, the clear is a later interlocked operation, and the
/// consumer's re-check after the clear therefore sees the message and schedules itself.
/// Either way the message is processed.
/// </remarks>
internal sealed class Mailbox : IThreadPoolWorkItem
{
    private const int Scheduled = 1;
    private const int Closed = 2;

    private readonly ConcurrentQueue<Envelope> _user = new();
    private readonly ConcurrentQueue<SystemMessage> _system = new();
    private IMailboxOwner _owner = null!;
    private int _status;

    public Mailbox(Dispatcher dispatcher)
    {
        Dispatcher = dispatcher;
    }

    public Dispatcher Dispatcher { get; }

    /// <summary>Dispatcher-private state (the pinned dispatcher keeps the actor's thread here).</summary>
    public object? DispatcherState { get; set; }

    public bool IsClosed => (Volatile.Read(ref _status) & Closed) != 0;

    public void SetOwner(IMailboxOwner owner) => _owner = owner;

    /// <summary>Queues a user message; false when the mailbox is closed (the caller dead-letters it).</summary>
    public bool Post(in Envelope envelope)
    {
        if (IsClosed)
        {
            return false;
        }
        _user.Enqueue(envelope);
        AfterEnqueue();
        return true;
    }

    /// <summary>Queues a lifecycle message; false when the mailbox is closed.</summary>
    public bool PostSystem(SystemMessage message)
    {
        if (IsClosed)
        {
            return false;
        }
        _system.Enqueue(message);
        AfterEnqueue();
        return true;
    }

    /// <summary>
    /// A post that raced with <see cref="Close"/> (closed after our check, before our enqueue)
    /// drains the queues itself, so no message is left behind in a dead mailbox.
    /// </summary>
    private void AfterEnqueue()
    {
        if (IsClosed)
        {
            DrainClosed();
        }
        else
        {
            TrySchedule();
        }
    }

    public bool TryDequeue(out Envelope envelope) => _user.TryDequeue(out envelope);

    public bool HasQueuedUserMessages => !_user.IsEmpty;

    /// <summary>Closes the mailbox (the actor stopped); what is still queued goes to the owner's dead-letter handling.</summary>
    public void Close()
    {
        Interlocked.Or(ref _status, Closed);
        DrainClosed();
    }

    private void DrainClosed()
    {
        while (_system.TryDequeue(out var system))
        {
            _owner.DeadSystemMessage(system);
        }
        while (_user.TryDequeue(out var envelope))
        {
            _owner.DeadLetter(envelope);
        }
    }

    /// <summary>Starts a run on the dispatcher unless one is pending or running.</summary>
    public void TrySchedule()
    {
        while (true)
        {
            var status = Volatile.Read(ref _status);
            if ((status & (Scheduled | Closed)) != 0)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref _status, status | Scheduled, status) == status)
            {
                Dispatcher.Schedule(this);
                return;
            }
        }
    }

    void IThreadPoolWorkItem.Execute() => Run();

    /// <summary>Processes system messages, then up to the dispatcher's throughput of user messages.</summary>
    public void Run()
    {
        var owner = _owner;
        ProcessSystemMessages(owner);
        var budget = Dispatcher.Throughput;
        while (budget-- > 0 && owner.AcceptsUserMessages && owner.TryDequeueUser(out var envelope))
        {
            owner.Invoke(envelope);
            ProcessSystemMessages(owner);
        }
        Interlocked.And(ref _status, ~Scheduled);
        // The re-check of the remarks' Case 2.
        if (!_system.IsEmpty || (owner.AcceptsUserMessages && owner.HasUserMessages))
        {
            TrySchedule();
        }
    }

    private void ProcessSystemMessages(IMailboxOwner owner)
    {
        while ((Volatile.Read(ref _status) & Closed) == 0 && _system.TryDequeue(out var message))
        {
            owner.SystemInvoke(message);
        }
    }
}
