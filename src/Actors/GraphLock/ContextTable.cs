using Akka.Actor;

namespace Actors.GraphLock;

/// <summary>
/// The registered contexts of one aggregation level (the Coordinator's, or a host's) with their
/// latest reader reports, and the orphaned balance of contexts that left. Single-threaded: owned
/// by one actor.
/// </summary>
internal sealed class ContextTable
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Reader balance inherited from unregistered contexts (QEMU's orphaned_reader_count).</summary>
    public int Orphaned { get; private set; }

    public int Count => _entries.Count;

    public IEnumerable<string> Ids => _entries.Keys;

    public IEnumerable<IActorRef> Refs => _entries.Values.Select(e => e.Ref);

    /// <summary>Adds a context; one already registered under the id is replaced (its reports are forgotten).</summary>
    public void Register(string id, IActorRef context) => _entries[id] = new Entry(context);

    /// <summary>Removes a context that left cleanly; its balance moves to <see cref="Orphaned"/>.</summary>
    public bool Unregister(string id, int balance)
    {
        if (!_entries.Remove(id))
        {
            return false;
        }
        Orphaned += balance;
        return true;
    }

    /// <summary>
    /// Removes a context that died (with its host or its thread). Its readers died with it, so
    /// its balance is dropped, not orphaned. Returns the id, or null when it was not registered.
    /// </summary>
    public string? Drop(IActorRef context)
    {
        foreach (var (id, entry) in _entries)
        {
            if (entry.Ref.Equals(context))
            {
                _entries.Remove(id);
                return id;
            }
        }
        return null;
    }

    public bool Contains(string id) => _entries.ContainsKey(id);

    /// <summary>The context registered under <paramref name="id"/>, or null.</summary>
    public IActorRef? RefOf(string id) => _entries.TryGetValue(id, out var entry) ? entry.Ref : null;

    /// <summary>Records a report; one older than what is already known is ignored.</summary>
    public void Report(string id, long epoch, int readers, int parked)
    {
        if (_entries.TryGetValue(id, out var entry) && epoch >= entry.ReportedEpoch)
        {
            entry.ReportedEpoch = epoch;
            entry.Readers = readers;
            entry.Parked = parked;
        }
    }

    /// <summary>True when every context has reported for <paramref name="epoch"/>.</summary>
    public bool AllReported(long epoch) => _entries.Values.All(e => e.ReportedEpoch == epoch);

    /// <summary>Readers inside the graph: the orphaned balance plus every context's latest report.</summary>
    public int Readers => Orphaned + _entries.Values.Sum(e => e.Readers);

    public int Parked => _entries.Values.Sum(e => e.Parked);

    public IEnumerable<ContextStatus> Status() =>
        _entries.Select(e => new ContextStatus(e.Key, e.Value.Readers, e.Value.Parked, e.Value.ReportedEpoch));

    private sealed class Entry(IActorRef context)
    {
        public IActorRef Ref { get; } = context;

        public int Readers { get; set; }

        public int Parked { get; set; }

        public long ReportedEpoch { get; set; } = -1;
    }
}
