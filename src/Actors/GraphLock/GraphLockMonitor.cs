namespace Actors.GraphLock;

/// <summary>
/// An in-process referee of the graph lock's one promise: no reader runs inside a write
/// section. Readers and writers announce themselves here; an overlap is recorded as a
/// violation (and thrown to the party that noticed it).
/// </summary>
/// <remarks>
/// Both sides increment their own counter (a full fence) before reading the other's, so of a
/// reader and a writer that overlap at least one sees the other: Case 1, the reader's increment
/// comes first and the writer sees readers &gt; 0; Case 2, the writer's comes first and the reader
/// sees writers &gt; 0.
/// </remarks>
public sealed class GraphLockMonitor
{
    private int _readers;
    private int _writers;
    private long _violations;
    private string? _firstViolation;

    /// <summary>Overlaps seen so far; a correct lock keeps this at 0.</summary>
    public long Violations => Interlocked.Read(ref _violations);

    public string? FirstViolation => Volatile.Read(ref _firstViolation);

    /// <summary>Readers inside the graph right now, across every IoThread.</summary>
    public int Readers => Volatile.Read(ref _readers);

    public void EnterRead()
    {
        Interlocked.Increment(ref _readers);
        if (Volatile.Read(ref _writers) != 0)
        {
            Violation("a reader entered the graph during a write section");
        }
    }

    public void ExitRead() => Interlocked.Decrement(ref _readers);

    public void EnterWrite()
    {
        if (Interlocked.Increment(ref _writers) != 1)
        {
            Violation("two write sections overlap");
        }
        var readers = Volatile.Read(ref _readers);
        if (readers != 0)
        {
            Violation($"a write section began with {readers} readers inside the graph");
        }
    }

    public void ExitWrite() => Interlocked.Decrement(ref _writers);

    private void Violation(string what)
    {
        Interlocked.Increment(ref _violations);
        Interlocked.CompareExchange(ref _firstViolation, what, null);
        throw new InvalidOperationException($"Graph lock violated: {what}.");
    }
}
