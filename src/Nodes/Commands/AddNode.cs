using System.Collections.Immutable;
using Actors.Serialization;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Commands;

/// <summary>blockdev-add: a node with its children (role → node-name).</summary>
[Manifest("graph.add-node.v1")]
public sealed record AddNode(string Node, string Driver, ImmutableSortedDictionary<string, string> Options, string Host, string IoThread, ImmutableSortedDictionary<string, string> Children) : IGraphCommand
{
    public IReadOnlyList<IGraphEvent> Apply(BlockGraph graph) => graph.AddNode(Node, Driver, Options, Host, IoThread, Children.ToDictionary(c => c.Key, c => new NodeName(c.Value)));
}
