using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>Records the close of a node taken off the pending-unref list (run by the deferred unref).</summary>
[Manifest("graph.close-node.v1")]
public sealed record CloseNode(string Node) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.Close(Node);
}
