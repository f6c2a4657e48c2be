using System.Runtime.CompilerServices;
using System.Text.Json;
using Actors.Persistence;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>
/// The graph's lifecycle events in an <see cref="IJournal"/> (SQLite on one host, PostgreSQL for
/// a cluster), one stream (<c>block-graph</c>), each event under its stable manifest. Sequence
/// numbers continue the stream, so a second coordinator writing the same graph gets
/// <see cref="JournalConflictException"/>: the fence of DESIGN §7. With a snapshot store, every
/// <c>snapshotEvery</c> events the graph is also saved as its compact history, and a read starts
/// from the latest snapshot, so recovery time does not grow with the graph's age.
/// </summary>
public sealed class JournalGraphStore : IGraphJournal
{
    private const string SnapshotManifest = "graph.compacted-history.v1";
    private readonly IJournal _journal;
    private readonly ISnapshotStore? _snapshots;
    private readonly int _snapshotEvery;
    private readonly SerializerRegistry _serialization;
    private readonly PersistenceId _stream;
    private long? _highest;
    private long _sinceSnapshot;

    public JournalGraphStore(IJournal journal, SerializerRegistry serialization, ISnapshotStore? snapshots = null, int snapshotEvery = 1000, string stream = "block-graph")
    {
        _journal = journal;
        _snapshots = snapshots;
        _snapshotEvery = snapshotEvery;
        _serialization = serialization;
        _stream = new PersistenceId(stream);
        serialization.RegisterAssembly(typeof(IGraphEvent).Assembly);
    }

    public async Task AppendAsync(IReadOnlyList<IGraphEvent> events)
    {
        var highest = _highest ??= await _journal.ReadHighestSequenceNrAsync(_stream);
        var writes = new JournalWrite[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var serialized = _serialization.Serialize(events[i]);
            writes[i] = new JournalWrite(highest + 1 + i, serialized.Manifest, serialized.Payload);
        }
        await _journal.AppendAsync(_stream, writes);
        _highest = highest + events.Count;
        _sinceSnapshot += events.Count;
    }

    /// <summary>True when enough events were appended since the last snapshot that the next should be taken.</summary>
    public bool SnapshotDue => _snapshots is not null && _snapshotEvery > 0 && _sinceSnapshot >= _snapshotEvery;

    /// <summary>Saves <paramref name="compactHistory"/> (the graph's <c>Compact()</c>) as of the last appended event.</summary>
    public async Task SaveSnapshotAsync(IReadOnlyList<IGraphEvent> compactHistory)
    {
        if (_snapshots is null || _highest is not { } at)
        {
            return;
        }
        var entries = compactHistory.Select(e => _serialization.Serialize(e)).Select(m => new SnapshotItem(m.Manifest, m.Payload.ToArray())).ToArray();
        await _snapshots.SaveAsync(new SnapshotEntry(_stream, at, DateTime.UtcNow, SnapshotManifest, JsonSerializer.SerializeToUtf8Bytes(entries)));
        _sinceSnapshot = 0;
    }

    public async IAsyncEnumerable<IGraphEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var from = 1L;
        if (_snapshots is not null && await _snapshots.LoadAsync(_stream, cancellationToken: cancellationToken) is { } snapshot)
        {
            foreach (var item in JsonSerializer.Deserialize<SnapshotItem[]>(snapshot.Payload.Span) ?? [])
            {
                yield return (IGraphEvent)_serialization.Deserialize(new SerializedMessage(item.Manifest, item.Payload));
            }
            from = snapshot.SequenceNr + 1;
        }
        await foreach (var entry in _journal.ReplayAsync(_stream, from, long.MaxValue, cancellationToken: cancellationToken))
        {
            yield return (IGraphEvent)_serialization.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload));
        }
        _highest = await _journal.ReadHighestSequenceNrAsync(_stream, cancellationToken);
        _sinceSnapshot = 0;
    }

    private sealed record SnapshotItem(string Manifest, byte[] Payload);
}
