using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>x-blockdev-set-iothread: moves a node and everything attached to it.</summary>
[Manifest("graph.move-node.v1")]
public sealed record MoveNode(string Node, string IoThread) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.Move(Node, IoThread);
}
