using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An edge was added: the parent holds a reference to the child.</summary>
[Manifest("child-attached.v1")]
public sealed record ChildAttached(string Parent, string Role, string Child) : IGraphEvent;
