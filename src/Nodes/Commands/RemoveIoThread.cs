using Actors.Serialization;

namespace Nodes.Commands;

/// <summary>
/// object-del of an IoThread of <paramref name="Host"/>: in a write section it is taken away from
/// that host's live nodes (refused while a node runs on it), so no node can land on a loop that
/// is stopping. The graph's owner sends it on to the host's <see cref="Runtime.HostNodes"/>.
/// </summary>
[Manifest("graph.remove-iothread.v2")]
public sealed record RemoveIoThread(string Host, string IoThread) : Runtime.IGraphMessage;
