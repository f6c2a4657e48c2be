using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>The longest drain seen, and the reader the writer waited for last in it (null when no reader was inside).</summary>
[Manifest("graph-lock.slowest-drain.v1")]
public sealed record SlowestDrain(long Epoch, double DrainMicros, DrainReader? LastReader);
