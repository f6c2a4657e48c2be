using Actors.Core;

namespace Actors.Messages;

/// <summary>Published on the event stream for each message that could not be delivered.</summary>
public sealed record DeadLetter(object Message, IActorRef Sender, IActorRef Recipient);
