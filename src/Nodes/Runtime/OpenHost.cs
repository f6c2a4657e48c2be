using Actors.Serialization;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// Sent by the graph's owner, in a write section, to a host's live nodes: make them what
/// <paramref name="Graph"/> (the graph's compact history) has on that host. Answered with
/// <see cref="HostOpened"/>.
/// </summary>
[Manifest("graph.open-host.v1")]
public sealed record OpenHost(GraphHistory Graph) : IGraphMessage;
