using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>Sent by the Coordinator at write-unlock: parked readers resume, in arrival order, and the context acknowledges with <see cref="WriteEnded"/>.</summary>
[Manifest("graph-lock.end-write.v1")]
public sealed record EndWrite(long Epoch) : IGraphLockMessage;
