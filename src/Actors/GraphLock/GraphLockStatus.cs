using System.Collections.Immutable;
using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>What an operator sees of the graph lock (QMP <c>x-query-graph-lock</c>).</summary>
/// <remarks>
/// <see cref="WriteWait"/> runs from a write's request to its grant (its queued, stop and drain
/// phases); <see cref="Phases"/> splits every write into its phases and names the reader the
/// longest drain waited for.
/// </remarks>
[Manifest("graph-lock.status.v1")]
public sealed record GraphLockStatus(
    ImmutableArray<ContextStatus> Contexts,
    int Orphaned,
    bool WriterActive,
    bool InWriteSection,
    long Epoch,
    int QueuedWriters,
    long WritesDone,
    long DeferredActionsRun,
    long DeferredActionsFailed,
    LatencySummary WriteWait,
    WritePhases Phases) : IGraphLockMessage;
