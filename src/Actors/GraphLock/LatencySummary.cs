using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>Percentiles of a latency, in microseconds.</summary>
[Manifest("graph-lock.latency-summary.v1")]
public sealed record LatencySummary(long Count, double P50Micros, double P99Micros, double MaxMicros);
