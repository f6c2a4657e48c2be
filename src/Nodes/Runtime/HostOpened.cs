using System.Collections.Immutable;
using Actors.Serialization;

namespace Nodes.Runtime;

/// <summary>A host's live nodes are what the graph has there, but for the nodes that could not be opened (node → why).</summary>
[Manifest("graph.host-opened.v1")]
public sealed record HostOpened(string Host, ImmutableSortedDictionary<string, string> Unavailable) : IGraphMessage;
