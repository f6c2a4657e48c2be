using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>blockdev-del: drops the monitor reference; the node is closed right after the write.</summary>
[Manifest("graph.delete-node.v1")]
public sealed record DeleteNode(string Node) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.DeleteNode(Node);
}
