using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>The monitor dropped its reference (blockdev-del).</summary>
[Manifest("node-released.v1")]
public sealed record NodeReleased(string Node) : IGraphEvent;
