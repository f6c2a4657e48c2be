using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A context's reader count for a write epoch, sent on BeginWrite and again on every change while the writer waits.</summary>
/// <param name="Context">The reporting context (an IoThread, or a host summing its IoThreads).</param>
/// <param name="Epoch">The write epoch this count answers.</param>
/// <param name="Readers">Readers inside the graph on that context; negative after readers migrated away.</param>
/// <param name="Parked">Readers waiting for the write to end.</param>
/// <param name="Left">The reader whose unlock this report follows, if one did: the last before the grant is the one the writer waited for.</param>
[Manifest("graph-lock.reader-report.v1")]
public sealed record ReaderReport(string Context, long Epoch, int Readers, int Parked, DrainReader? Left = null) : IGraphLockMessage;
