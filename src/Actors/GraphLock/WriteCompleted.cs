using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A requested write section ran and was unlocked.</summary>
/// <param name="Epoch">Its write epoch.</param>
/// <param name="Waited">From the request to entering the write section.</param>
[Manifest("graph-lock.write-completed.v1")]
public sealed record WriteCompleted(long Epoch, TimeSpan Waited) : IGraphLockMessage;
