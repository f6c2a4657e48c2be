using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>blockdev-reopen of a child option: points an edge at another node.</summary>
[Manifest("graph.replace-child.v1")]
public sealed record ReplaceChild(string Parent, string Role, string NewChild) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.Replace(Parent, Role, NewChild);
}
