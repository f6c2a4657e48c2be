using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>How the <see cref="GraphOwner"/> persists.</summary>
/// <param name="SnapshotEvery">Save the graph's compact history every this many events (<c>actors.persistence.snapshot-every</c>), so a start replays at most that many; 0: never.</param>
/// <param name="LegacyHistory">The history an earlier journal format holds, imported once into an empty journal (null or empty: nothing to import).</param>
public sealed record GraphOwnerSettings(int SnapshotEvery, Func<IReadOnlyList<IGraphEvent>?> LegacyHistory)
{
    /// <summary>Snapshots every 1,000 events, nothing to import.</summary>
    public static GraphOwnerSettings Default { get; } = new(1000, static () => null);
}
