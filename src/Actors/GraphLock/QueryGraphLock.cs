using Actors.Serialization;

namespace Actors.GraphLock;

/// <summary>Asks the Coordinator for its <see cref="GraphLockStatus"/>.</summary>
[Manifest("graph-lock.query.v1")]
public sealed record QueryGraphLock : IGraphLockMessage
{
    public static readonly QueryGraphLock Instance = new();

    /// <summary>
    /// An earlier answer: the latencies (the write wait, the phases, the slowest drain) are then of
    /// the writes since, as far as the Coordinator still holds them (the last 8192); null: of all.
    /// </summary>
    public GraphLockStatus? Since { get; init; }
}
