using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>A context leaves the graph lock; its reader balance (readers that migrated away still count here) moves to the orphaned count.</summary>
[Manifest("graph-lock.unregister-context.v1")]
public sealed record UnregisterContext(string Context, int Balance) : IGraphLockMessage;
