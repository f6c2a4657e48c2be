using Actors.Core;

namespace Actors.Dispatch;

/// <summary>A user message and its sender, stored by value in the mailbox so that sending allocates nothing more.</summary>
public readonly record struct Envelope(object Message, IActorRef Sender);
