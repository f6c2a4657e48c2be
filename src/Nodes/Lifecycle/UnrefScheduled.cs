using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>The last reference to a node was dropped inside a write section: it joins the pending-unref list and is closed right after write-unlock.</summary>
[Manifest("unref-scheduled.v1")]
public sealed record UnrefScheduled(string Node) : IGraphEvent;
