using Actors.Serialization;

namespace Actors.IoThreads;

/// <summary>An IoThread's graph-lock state and loop activity.</summary>
/// <param name="Name">The IoThread (graph-lock context) name.</param>
/// <param name="Readers">Readers inside the graph on it (negative after migrations away).</param>
/// <param name="Parked">Readers waiting for a write to end.</param>
/// <param name="ParkedTotal">Readers ever parked.</param>
/// <param name="WriterActive">Its view of the writer.</param>
/// <param name="Epoch">The last write epoch it heard of.</param>
/// <param name="Iterations">Event-loop iterations run.</param>
/// <param name="Outside">Requests that entered here and wait for the disk outside the graph (front ends' flushes).</param>
/// <param name="Stopping">Asked to stop, it waits for those requests to come back first.</param>
[Manifest("iothread.status.v1")]
public sealed record IoThreadStatus(string Name, int Readers, int Parked, long ParkedTotal, bool WriterActive, long Epoch, long Iterations, int Outside, bool Stopping);
