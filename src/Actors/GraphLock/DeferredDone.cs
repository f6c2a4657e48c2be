using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>The writer's deferred work is done (<paramref name="Ran"/> actions ran, <paramref name="Failed"/> of them failed); queued writers may go.</summary>
[Manifest("graph-lock.deferred-done.v1")]
public sealed record DeferredDone(long Epoch, int Ran, int Failed) : IGraphLockMessage;
