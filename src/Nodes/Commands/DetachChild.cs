using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>x-blockdev-change: removes a child edge.</summary>
[Manifest("graph.detach-child.v1")]
public sealed record DetachChild(string Parent, string Role) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.Detach(Parent, Role);
}
