using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.Win32.SafeHandles;

namespace Actors.IoThreads;

/// <summary>
/// One request of an <see cref="IoRing"/>, from its submission to the awaiter's GetResult, then
/// back in the ring's pool: the completion source its ValueTask stands on, the file it holds a
/// reference to and the buffer it keeps pinned while the kernel owns them. Loop thread only,
/// except GetResult (see there). Its index in the ring's table is the SQE's user_data.
/// </summary>
internal sealed class IoRingOperation(IoRing ring, int index) : IValueTaskSource, IValueTaskSource<int>
{
    private const int EIO = 5;

    private ManualResetValueTaskSourceCore<int> _core;
    private SafeFileHandle? _file;
    private MemoryHandle _pin;
    private string? _subject;

    public int Index { get; } = index;

    public IoRing Ring => ring;

    /// <summary>Started and not yet completed: the kernel has it, or will at the next submission.</summary>
    public bool IsPending { get; private set; }

    public byte Opcode { get; private set; }

    /// <summary>Where the part not yet done starts (a short write goes on from there).</summary>
    public nint Address { get; private set; }

    public long Offset { get; private set; }

    public int Remaining { get; private set; }

    public uint OpFlags { get; private set; }

    /// <summary>The descriptor the kernel works on; valid while the reference taken at start is held.</summary>
    public int Fd { get; private set; }

    public short Version => _core.Version;

    private long StartOffset { get; set; }

    private int Length { get; set; }

    /// <summary>Takes a reference on <paramref name="file"/> and pins <paramref name="buffer"/> until <see cref="Complete"/>.</summary>
    public unsafe void Start(byte opcode, SafeFileHandle file, ReadOnlyMemory<byte> buffer, long offset, uint opFlags, string? subject)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        _file = file;
        _pin = buffer.Pin();
        _subject = subject;
        Opcode = opcode;
        Fd = (int)file.DangerousGetHandle();
        Address = (nint)_pin.Pointer;
        StartOffset = Offset = offset;
        Length = Remaining = buffer.Length;
        OpFlags = opFlags;
        IsPending = true;
    }

    /// <summary>
    /// The kernel answered <paramref name="result"/> (bytes done, or minus the errno). True when
    /// the request is done; false when a write or read came up short and the rest must be sent again.
    /// </summary>
    public bool Advance(int result)
    {
        if (Opcode is IoUringNative.OpWrite or IoUringNative.OpRead && result > 0 && result < Remaining)
        {
            Address += result;
            Offset += result;
            Remaining -= result;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Lets go of the file and the buffer, then completes the awaiter (inline: this runs on the
    /// loop). A write answered with 0 bytes made no progress and would loop forever: EIO.
    /// </summary>
    public void Complete(int result)
    {
        IsPending = false;
        _pin.Dispose();
        _pin = default;
        _file!.DangerousRelease();
        _file = null;
        if (Opcode == IoUringNative.OpWrite && result == 0 && Remaining > 0)
        {
            result = -EIO;
        }
        _core.SetResult(result >= 0 ? Length - Remaining + result : result);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <remarks>
    /// The request completes on the loop it was submitted from. An awaiter there asks to resume
    /// on the loop's context, which would post its continuation back to the very loop that is
    /// completing it: one more queue trip per request. Resuming inline is resuming on that
    /// context, so the request drops the flag then.
    /// </remarks>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
            && SynchronizationContext.Current == ring.Loop.SynchronizationContext
            && TaskScheduler.Current == TaskScheduler.Default)
        {
            flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
        }
        _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>The byte count (or minus the errno); the request goes back to the pool.</summary>
    int IValueTaskSource<int>.GetResult(short token)
    {
        var result = _core.GetResult(token);
        Recycle();
        return result;
    }

    /// <summary>Throws an <see cref="IOException"/> naming the subject, the request and the errno if it failed.</summary>
    void IValueTaskSource.GetResult(short token)
    {
        var result = _core.GetResult(token);
        var failure = result < 0 ? Failure(-result) : null;
        Recycle();
        if (failure is not null)
        {
            throw failure;
        }
    }

    private IOException Failure(int errno)
    {
        var what = Opcode switch
        {
            IoUringNative.OpWrite => $"write of {Length} bytes at {StartOffset}",
            IoUringNative.OpRead => $"read of {Length} bytes at {StartOffset}",
            _ => "fdatasync",
        };
        return new IOException($"{_subject}: {what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    private void Recycle()
    {
        _subject = null;
        _core.Reset();
        ring.Return(this);
    }
}
