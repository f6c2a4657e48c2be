using System.Runtime.CompilerServices;
using Actors.Persistence;
using Actors.Serialization;

namespace Nodes.Lifecycle;

/// <summary>
/// The graph's lifecycle events in an <see cref="IJournal"/> (SQLite on one host, PostgreSQL for
/// a cluster), one stream (<c>block-graph</c>), each event under its stable manifest. Sequence
/// numbers continue the stream, so a second coordinator writing the same graph gets
/// <see cref="JournalConflictException"/>: the fence of DESIGN §7.
/// </summary>
public sealed class JournalGraphStore : IGraphJournal
{
    private readonly IJournal _journal;
    private readonly SerializerRegistry _serialization;
    private readonly PersistenceId _stream;
    private long? _highest;

    public JournalGraphStore(IJournal journal, SerializerRegistry serialization, string stream = "block-graph")
    {
        _journal = journal;
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
    }

    public async IAsyncEnumerable<IGraphEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var highest = 0L;
        await foreach (var entry in _journal.ReplayAsync(_stream, 1, long.MaxValue, cancellationToken: cancellationToken))
        {
            highest = entry.SequenceNr;
            yield return (IGraphEvent)_serialization.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload));
        }
        _highest = Math.Max(highest, await _journal.ReadHighestSequenceNrAsync(_stream, cancellationToken));
    }
}
