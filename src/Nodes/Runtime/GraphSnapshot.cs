using System.Collections.Immutable;
using Actors.Serialization;
using Nodes.Graph;

namespace Nodes.Runtime;

/// <summary>The block graph as it stood at one moment, read by its owner.</summary>
[Manifest("graph.snapshot.v1")]
public sealed record GraphSnapshot(ImmutableArray<NodeSnapshot> Nodes, ImmutableArray<BlockExport> Exports, ImmutableArray<string> PendingUnrefs) : IGraphMessage
{
    /// <summary>The graph as it stands, each node with why it does not serve (<paramref name="unavailable"/>; null when it serves).</summary>
    public static GraphSnapshot Of(BlockGraph graph, Func<GraphNode, string?> unavailable) => new(
        [.. graph.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => new NodeSnapshot(
            n.Name, n.Driver, n.Host, n.IoThread, n.RefCount, n.PendingUnref, n.Children.ToImmutableSortedDictionary(StringComparer.Ordinal), unavailable(n)))],
        [.. graph.Exports],
        [.. graph.PendingUnrefs]);

    public NodeSnapshot? Find(string name) => Nodes.FirstOrDefault(n => n.Name == name);
}
