using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>An edge now points at another child (filter insertion, x-blockdev-change).</summary>
[Manifest("child-replaced.v1")]
public sealed record ChildReplaced(string Parent, string Role, string OldChild, string NewChild) : IGraphEvent;
