using System.Collections.Immutable;
using Actors.Serialization;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// Sent by the graph's owner, in a write section, to every host's live nodes: apply a command's
/// events to the nodes of that host (the others' are not its concern). Answered with
/// <see cref="LiveWorkDone"/>, or a failure that carries the refusal.
/// </summary>
[Manifest("graph.apply-events.v1")]
public sealed record ApplyEvents(ImmutableArray<IGraphEvent> Events) : IGraphMessage;
