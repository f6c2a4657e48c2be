using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An export now serves another node (a filter was inserted or removed above its node).</summary>
[Manifest("export-retargeted.v1")]
public sealed record ExportRetargeted(string Id, string OldNode, string NewNode) : IGraphEvent;
