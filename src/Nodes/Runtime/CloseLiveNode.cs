using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>The deferred unref of a node, sent by the graph's owner to its host after write-unlock; answered with <see cref="LiveWorkDone"/>.</summary>
[Manifest("graph.close-live-node.v1")]
public sealed record CloseLiveNode(string Node) : IGraphMessage;
