using Actors.Core;
using Actors.Serialization;

namespace Actors.Messages;

/// <summary>
/// Delivered to a watcher when the actor it watches has stopped.
/// <paramref name="ExistenceConfirmed"/> is false when the actor never existed (or was already gone when watched).
/// </summary>
[Manifest("actors.terminated.v1")]
public sealed record Terminated(IActorRef ActorRef, bool ExistenceConfirmed = true);
