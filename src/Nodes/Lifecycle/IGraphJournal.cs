namespace Nodes.Lifecycle;

/// <summary>
/// Where the graph's lifecycle events are persisted. <see cref="AppendAsync"/> stores one
/// command's events atomically (all or none), after those appended before; a failure means the
/// caller's model is ahead of the journal, so the caller must not go on as if it were stored.
/// </summary>
public interface IGraphJournal
{
    Task AppendAsync(IReadOnlyList<IGraphEvent> events);

    /// <summary>The graph's history in order: from the latest snapshot when there is one, else from the start.</summary>
    IAsyncEnumerable<IGraphEvent> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>True when the store wants a snapshot now (a store without snapshots never does).</summary>
    bool SnapshotDue { get; }

    /// <summary>Saves the graph's compact history as of the last appended event.</summary>
    Task SaveSnapshotAsync(IReadOnlyList<IGraphEvent> compactHistory);
}
