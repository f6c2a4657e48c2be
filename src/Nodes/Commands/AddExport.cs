using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>block-export-add.</summary>
[Manifest("graph.add-export.v1")]
public sealed record AddExport(string Id, string Node, string Name, bool Writable) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.AddExport(Id, Node, Name, Writable);
}
