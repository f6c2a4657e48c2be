using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A context processed <see cref="EndWrite"/>: its parked readers were resumed.</summary>
[Manifest("graph-lock.write-ended.v1")]
public sealed record WriteEnded(string Context, long Epoch) : IGraphLockMessage;
