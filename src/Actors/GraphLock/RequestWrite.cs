using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>
/// Asks the Coordinator for a write section. The requester is answered with
/// <see cref="WriteGranted"/> once every context drained, holds the graph until it sends
/// <see cref="ReleaseWrite"/>, and is the only one who changes the graph meanwhile. A request
/// from the writer whose deferred work is running (<see cref="RunDeferred"/>) goes before every
/// queued writer.
/// </summary>
[Manifest("graph-lock.request-write.v1")]
public sealed record RequestWrite(string Reason) : IGraphLockMessage;
