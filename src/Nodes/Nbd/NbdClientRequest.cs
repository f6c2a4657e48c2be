using System.Threading.Tasks.Sources;

namespace Nodes.Nbd;

/// <summary>
/// One request slot of an <see cref="NbdClient"/>: its handle on the wire, where a READ's data
/// goes, and the completion its caller awaits. Slots are reused (a <see cref="ManualResetValueTaskSourceCore{T}"/>
/// per slot), so a request in flight costs no allocation of its own.
/// </summary>
internal sealed class NbdClientRequest(int index) : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _completion = new() { RunContinuationsAsynchronously = true };
    private uint _sequence;

    /// <summary>The slot's index in the client's table: the low half of its handles.</summary>
    public int Index { get; } = index;

    /// <summary>The handle of the request in this slot now: the index and a sequence, so a stale reply is noticed.</summary>
    public ulong Handle => ((ulong)_sequence << 32) | (uint)Index;

    public ushort Type { get; private set; }

    public long Offset { get; private set; }

    public uint Length { get; private set; }

    /// <summary>Where a READ's data is read to, straight from the socket.</summary>
    public Memory<byte> ReadBuffer { get; private set; }

    /// <summary>Sent and not answered yet (guarded by the client's gate).</summary>
    public bool InFlight { get; set; }

    /// <summary>What the caller awaits; valid until the slot is prepared again.</summary>
    public ValueTask Completion => new(this, _completion.Version);

    /// <summary>Readies the slot for a new request, with a new handle.</summary>
    public void Prepare(ushort type, long offset, uint length, Memory<byte> readBuffer)
    {
        _completion.Reset();
        _sequence++;
        Type = type;
        Offset = offset;
        Length = length;
        ReadBuffer = readBuffer;
    }

    public void Succeed() => _completion.SetResult(true);

    public void Fail(Exception error) => _completion.SetException(error);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
