using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>Asks the Coordinator for its <see cref="GraphLockStatus"/>.</summary>
[Manifest("graph-lock.query.v1")]
public sealed record QueryGraphLock : IGraphLockMessage
{
    public static readonly QueryGraphLock Instance = new();
}
