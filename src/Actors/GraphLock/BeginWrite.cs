using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>Sent by the Coordinator to every context when a writer wants the graph: new readers park, and the context reports its readers.</summary>
[Manifest("graph-lock.begin-write.v1")]
public sealed record BeginWrite(long Epoch) : IGraphLockMessage;
