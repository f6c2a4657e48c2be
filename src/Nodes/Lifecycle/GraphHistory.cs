using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>
/// The graph's snapshot: its compact history (<see cref="Graph.BlockGraph.Compact"/>), replayed
/// with <see cref="Graph.BlockGraph.Apply"/> before the events persisted after it. Stored by
/// <see cref="ManifestSerializer"/> as <c>{"events": [{"manifest": "node-added.v1", "payload": {...}}, ...]}</c>.
/// </summary>
/// <remarks>
/// v2: the journal written before Akka.NET stored its snapshot as <c>graph.compacted-history.v1</c>,
/// a JSON array of <c>{"Manifest", "Payload" (base64)}</c>; <see cref="LegacyGraphJournal"/> reads that one.
/// </remarks>
[Manifest("graph.compacted-history.v2")]
public sealed record GraphHistory(ImmutableArray<IGraphEvent> Events);
