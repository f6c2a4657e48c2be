using Actors.IoThreads;
using Akka.Actor;
using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A context (IoThread or host aggregator) joins the graph lock; answered with <see cref="ContextRegistered"/>.</summary>
[Manifest("graph-lock.register-context.v1")]
public sealed record RegisterContext(string Context, IActorRef Ref) : IGraphLockMessage
{
    /// <summary>The IoThread itself, for its host's aggregator (<see cref="IoThread.StopReaders"/>); never serialized, so null across hosts.</summary>
    internal IoThread? Local { get; init; }
}
