using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An export of a node was added; it holds a reference to the node like a parent.</summary>
[Manifest("export-added.v1")]
public sealed record ExportAdded(string Id, string Node, string Name, bool Writable) : IGraphEvent;
