using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>Nodes moved to another IoThread together (a node moves with everything attached to it).</summary>
[Manifest("nodes-moved.v1")]
public sealed record NodesMoved(ImmutableArray<string> Nodes, string IoThread) : IGraphEvent;
