namespace Nodes.Lifecycle;

/// <summary>
/// Where the graph's lifecycle events are persisted. <see cref="AppendAsync"/> stores one
/// command's events atomically (all or none), after those appended before; a failure means the
/// caller's model is ahead of the journal, so the caller must not go on as if it were stored.
/// </summary>
public interface IGraphJournal
{
    Task AppendAsync(IReadOnlyList<IGraphEvent> events);

    /// <summary>Every event ever appended, in order.</summary>
    IAsyncEnumerable<IGraphEvent> ReadAllAsync(CancellationToken cancellationToken = default);
}
