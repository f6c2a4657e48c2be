using Actors.Cell;

namespace Actors.Dispatch;

/// <summary>What a mailbox runs messages against: the actor cell, seen from the dispatcher's side.</summary>
internal interface IMailboxOwner
{
    /// <summary>False while user messages must wait (failed, awaiting an async handler, restarting, stopping).</summary>
    bool AcceptsUserMessages { get; }

    /// <summary>Takes the next user message: stashed-then-unstashed ones first, then the queue.</summary>
    bool TryDequeueUser(out Envelope envelope);

    /// <summary>True when a user message is ready (unstashed or queued).</summary>
    bool HasUserMessages { get; }

    void Invoke(in Envelope envelope);

    void SystemInvoke(SystemMessage message);

    /// <summary>A user message that can no longer be delivered (the mailbox closed).</summary>
    void DeadLetter(in Envelope envelope);

    /// <summary>A lifecycle message that reached a closed mailbox; those that expect an answer get one.</summary>
    void DeadSystemMessage(SystemMessage message);
}
