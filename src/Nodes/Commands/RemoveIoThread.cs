using Actors.Serialization;

namespace Nodes.Commands;

/// <summary>
/// object-del of an IoThread: in a write section it is taken away from the host's live nodes
/// (refused while a node runs on it), so no node can land on a loop that is stopping.
/// </summary>
[Manifest("graph.remove-iothread.v1")]
public sealed record RemoveIoThread(string IoThread);
