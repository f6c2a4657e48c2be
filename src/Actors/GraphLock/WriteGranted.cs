using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>The write section is the requester's: no reader is inside the graph and new ones park.</summary>
/// <param name="Epoch">The write's epoch; <see cref="ReleaseWrite"/> names it.</param>
/// <param name="Waited">From the request to the grant.</param>
[Manifest("graph-lock.write-granted.v1")]
public sealed record WriteGranted(long Epoch, TimeSpan Waited) : IGraphLockMessage;
