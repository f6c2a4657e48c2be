using Actors.Serialization;
using Akka.Actor;

namespace Nodes.Runtime;

/// <summary>
/// A host's live nodes (<see cref="HostNodes"/>) join the graph's owner, which opens on them, in a
/// write section, what the graph has on that host (<see cref="OpenHost"/>).
/// </summary>
/// <param name="Host">The host's name (<c>actors.host</c>).</param>
/// <param name="Nodes">Its <see cref="HostNodes"/>.</param>
/// <param name="DefaultIoThread">Where a node added on the host without an IoThread runs (its first IoThread), if it has one.</param>
[Manifest("graph.register-host.v1")]
public sealed record RegisterHost(string Host, IActorRef Nodes, string? DefaultIoThread) : IGraphMessage;
