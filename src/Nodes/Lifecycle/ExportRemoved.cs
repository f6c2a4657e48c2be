using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An export was removed; its reference to the node is dropped.</summary>
[Manifest("export-removed.v1")]
public sealed record ExportRemoved(string Id) : IGraphEvent;
