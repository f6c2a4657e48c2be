using System.Collections.Immutable;
using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>Adds a filter above a node, re-pointing every parent and export of it at once.</summary>
[Manifest("graph.insert-filter.v1")]
public sealed record InsertFilter(string Filter, string Driver, ImmutableSortedDictionary<string, string> Options, string Above) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.InsertFilter(Filter, Driver, Options, Above);
}
