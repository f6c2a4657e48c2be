using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>A change of the block graph, run by the <see cref="Runtime.GraphOwner"/> in a write section.</summary>
public interface IGraphCommand
{
    /// <summary>Validates against <paramref name="graph"/> and applies; refuses with <see cref="GraphException"/> changing nothing.</summary>
    IReadOnlyList<IGraphEvent> Apply(BlockGraph graph);
}
