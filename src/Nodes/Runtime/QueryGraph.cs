using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>Asks the <see cref="GraphOwner"/> for a <see cref="GraphSnapshot"/> (QMP query-named-block-nodes).</summary>
[Manifest("graph.query.v1")]
public sealed record QueryGraph : IGraphMessage
{
    public static readonly QueryGraph Instance = new();
}
