using Actors.Core;
using Actors.Dispatch;

namespace Actors.Cell;

/// <summary>
/// The stash of one actor. Unstashed messages go to a queue the mailbox drains before its own
/// queue, so they are processed before anything that arrived meanwhile, in stash order.
/// </summary>
internal sealed class ActorStash(ActorCell cell) : IStash
{
    private readonly LinkedList<Envelope> _stashed = new();
    private readonly Queue<Envelope> _unstashed = new();
    private long _stashedDelivery;

    public int Count => _stashed.Count;

    public bool HasUnstashed => _unstashed.Count > 0;

    public void Stash()
    {
        var current = cell.CurrentEnvelope;
        if (current.Message is null)
        {
            throw new InvalidOperationException($"Actor {cell.SelfRef.Path} can only stash while it processes a message.");
        }
        // Compare deliveries, not message objects: the same object legitimately arrives more
        // than once (payload-less singletons, interned strings), and each delivery may be stashed.
        if (cell.CurrentDelivery == _stashedDelivery)
        {
            throw new InvalidOperationException($"Actor {cell.SelfRef.Path} stashed the same message twice.");
        }
        _stashedDelivery = cell.CurrentDelivery;
        _stashed.AddLast(current);
    }

    public void Unstash()
    {
        if (_stashed.First is { } first)
        {
            _stashed.RemoveFirst();
            _unstashed.Enqueue(first.Value);
        }
    }

    public void UnstashAll()
    {
        foreach (var envelope in _stashed)
        {
            _unstashed.Enqueue(envelope);
        }
        _stashed.Clear();
    }

    public bool TryTakeUnstashed(out Envelope envelope) => _unstashed.TryDequeue(out envelope);

    /// <summary>The actor stopped: whatever it set aside is undeliverable.</summary>
    public void DeadLetterAll()
    {
        UnstashAll();
        while (_unstashed.TryDequeue(out var envelope))
        {
            cell.System.DeadLetter(envelope.Message, envelope.Sender, cell.SelfRef);
        }
    }
}
