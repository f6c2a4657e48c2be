using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>The graph's snapshot: its compact history (<c>BlockGraph.Compact()</c>), replayed like events.</summary>
[Manifest("graph.compacted-history.v1")]
public sealed record GraphHistory(ImmutableArray<IGraphEvent> Events);
