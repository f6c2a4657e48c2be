namespace Actors.Core;

/// <summary>Sets messages aside to process them later, in the order they were stashed.</summary>
public interface IStash
{
    /// <summary>Sets the message being processed aside.</summary>
    void Stash();

    /// <summary>Puts the oldest stashed message back ahead of the mailbox.</summary>
    void Unstash();

    /// <summary>Puts every stashed message back ahead of the mailbox, oldest first.</summary>
    void UnstashAll();

    /// <summary>How many messages are stashed.</summary>
    int Count { get; }
}
