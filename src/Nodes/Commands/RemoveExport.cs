using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>block-export-del.</summary>
[Manifest("graph.remove-export.v1")]
public sealed record RemoveExport(string Id) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.RemoveExport(Id);
}
