using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>Removes a filter, re-pointing its parents and exports to its child.</summary>
[Manifest("graph.remove-filter.v1")]
public sealed record RemoveFilter(string Filter) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.RemoveFilter(Filter);
}
