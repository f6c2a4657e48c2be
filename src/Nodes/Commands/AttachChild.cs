using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>x-blockdev-change: adds a child edge.</summary>
[Manifest("graph.attach-child.v1")]
public sealed record AttachChild(string Parent, string Role, string Child) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.Attach(Parent, Role, Child);
}
