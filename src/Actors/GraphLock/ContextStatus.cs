using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>One registered context as the Coordinator last heard of it.</summary>
[Manifest("graph-lock.context-status.v1")]
public sealed record ContextStatus(string Context, int Readers, int Parked, long ReportedEpoch);
