using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>
/// The writer leaves its write section. With <paramref name="RunDeferred"/> it has deferred work
/// (pending unrefs): once every context resumed its parked readers the Coordinator sends it
/// <see cref="RunDeferred"/>, and no queued writer starts until it answers <see cref="DeferredDone"/>.
/// </summary>
[Manifest("graph-lock.release-write.v1")]
public sealed record ReleaseWrite(long Epoch, bool RunDeferred) : IGraphLockMessage;
