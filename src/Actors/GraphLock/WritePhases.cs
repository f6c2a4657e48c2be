using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>
/// Where the time of the write sections went, phase by phase, as the Coordinator measures them.
/// A write's wait (<see cref="GraphLockStatus.WriteWait"/>) is its queued, stop and drain phases.
/// </summary>
/// <param name="Queued">From the request to BeginWrite: waiting for earlier writers (and their deferred work).</param>
/// <param name="Stop">From BeginWrite to every context having stopped new readers and reported.</param>
/// <param name="Drain">From then until no reader is inside (Σ readers = 0): the grant.</param>
/// <param name="Section">From the grant to the release: the graph change, its journal write included.</param>
/// <param name="Unlock">From EndWrite to every context having resumed its parked readers.</param>
/// <param name="Deferred">From RunDeferred to DeferredDone: the pending unrefs (writes without any are not counted).</param>
/// <param name="SlowestDrain">The longest drain and the reader it waited for last; null before the first write.</param>
[Manifest("graph-lock.write-phases.v1")]
public sealed record WritePhases(
    LatencySummary Queued,
    LatencySummary Stop,
    LatencySummary Drain,
    LatencySummary Section,
    LatencySummary Unlock,
    LatencySummary Deferred,
    SlowestDrain? SlowestDrain);
