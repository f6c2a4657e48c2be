using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>A node was drained and closed after its last reference was dropped; it left the graph and the pending-unref list.</summary>
[Manifest("node-closed.v1")]
public sealed record NodeClosed(string Node) : IGraphEvent;
