using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>
/// Tells the last writer to run its deferred work now: the write is unlocked and every context
/// resumed its parked readers. Sent again after each write the deferred work itself requested.
/// </summary>
[Manifest("graph-lock.run-deferred.v1")]
public sealed record RunDeferred(long Epoch) : IGraphLockMessage;
