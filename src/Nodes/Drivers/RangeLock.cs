namespace Nodes.Drivers;

/// <summary>
/// Exclusive locks on byte ranges for the requests of one node, on its IoThread: a request
/// waits (asynchronously, never blocking the thread) until no held range overlaps its own,
/// then holds it until the returned handle is disposed. Ranges that do not overlap run at once.
/// Not thread-safe: the node's requests all run on its loop's thread.
/// </summary>
public sealed class RangeLock
{
    private readonly List<Held> _held = [];

    /// <summary>Waits until [<paramref name="offset"/>, +<paramref name="length"/>) overlaps no held range, then holds it.</summary>
    public async ValueTask<Handle> LockAsync(long offset, long length)
    {
        while (Overlapping(offset, length) is { } held)
        {
            await held.ReleasedAsync();
        }
        var mine = new Held(offset, length);
        _held.Add(mine);
        return new Handle(this, mine);
    }

    private Held? Overlapping(long offset, long length)
    {
        foreach (var held in _held)
        {
            if (held.Offset < offset + length && offset < held.Offset + held.Length)
            {
                return held;
            }
        }
        return null;
    }

    /// <summary>A held range; disposing it wakes the requests waiting for it (they re-check every range).</summary>
    public readonly struct Handle : IDisposable
    {
        private readonly RangeLock _owner;
        private readonly Held _held;

        internal Handle(RangeLock owner, Held held)
        {
            _owner = owner;
            _held = held;
        }

        public void Dispose()
        {
            _owner._held.Remove(_held);
            _held.Release();
        }
    }

    internal sealed class Held(long offset, long length)
    {
        // Made only when a request has to wait: an uncontended lock allocates just this object.
        private TaskCompletionSource? _released;

        public long Offset { get; } = offset;

        public long Length { get; } = length;

        public Task ReleasedAsync() => (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public void Release() => _released?.TrySetResult();
    }
}
