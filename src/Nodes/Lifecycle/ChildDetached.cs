using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An edge was removed; the child lost the parent's reference.</summary>
[Manifest("child-detached.v1")]
public sealed record ChildDetached(string Parent, string Role, string Child) : IGraphEvent;
