using System.Runtime.CompilerServices;

namespace Nodes.Lifecycle;

/// <summary>A journal that keeps events in memory: for hosts that need no recovery (bench) and for tests.</summary>
public sealed class InMemoryGraphJournal : IGraphJournal
{
    private readonly Lock _lock = new();
    private readonly List<IGraphEvent> _events = [];

    public IReadOnlyList<IGraphEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public Task AppendAsync(IReadOnlyList<IGraphEvent> events)
    {
        lock (_lock)
        {
            _events.AddRange(events);
        }
        return Task.CompletedTask;
    }

    /// <summary>Memory is its own snapshot: none is ever due.</summary>
    public bool SnapshotDue => false;

    public Task SaveSnapshotAsync(IReadOnlyList<IGraphEvent> compactHistory) => Task.CompletedTask;

    public async IAsyncEnumerable<IGraphEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var e in Events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask;
    }
}
