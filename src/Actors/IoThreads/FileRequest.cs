using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.Win32.SafeHandles;

namespace Actors.IoThreads;

/// <summary>
/// One write of an <see cref="IoWorker"/>, from its start on the loop to the awaiter's GetResult,
/// then back in the worker's pool: the completion source its ValueTask stands on, the file it
/// holds a reference to and the buffer it keeps pinned while the worker uses them.
/// </summary>
/// <remarks>
/// Who touches what: the loop starts it (<see cref="Start"/>) and completes it
/// (<see cref="Complete"/>); in between only the worker thread runs it (<see cref="Run"/>). The
/// hand-overs go through the worker's lock, which orders the fields written on one side before
/// they are read on the other.
/// </remarks>
internal sealed class FileRequest(IoWorker worker) : IValueTaskSource
{
    private const int EINTR = 4;
    private const int EIO = 5;

    private ManualResetValueTaskSourceCore<int> _core;
    private SafeFileHandle? _file;
    private MemoryHandle _pin;
    private string? _subject;
    private int _fd;
    private nint _address;
    private long _offset;
    private long _startOffset;
    private int _length;
    private int _remaining;
    private int _answer;

    public IoWorker Worker => worker;

    public short Version => _core.Version;

    /// <summary>Takes a reference on <paramref name="file"/> and pins <paramref name="data"/> until <see cref="Complete"/>. Loop thread.</summary>
    public unsafe void Start(SafeFileHandle file, ReadOnlyMemory<byte> data, long offset, string subject)
    {
        var added = false;
        file.DangerousAddRef(ref added);
        _file = file;
        _pin = data.Pin();
        _subject = subject;
        _fd = (int)file.DangerousGetHandle();
        _address = (nint)_pin.Pointer;
        _startOffset = _offset = offset;
        _length = _remaining = data.Length;
    }

    /// <summary>Runs pwrite to its end on the worker's thread: it goes on after a short count, EINTR is retried.</summary>
    public void Run()
    {
        while (true)
        {
            var result = (long)Pwrite(_fd, _address, (nuint)_remaining, _offset);
            if (result < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                {
                    continue;
                }
                _answer = -errno;
                return;
            }
            if (result == _remaining)
            {
                _answer = _length;
                return;
            }
            if (result == 0)
            {
                // A write that makes no progress would loop forever.
                _answer = -EIO;
                return;
            }
            _address += (nint)result;
            _offset += result;
            _remaining -= (int)result;
        }
    }

    /// <summary>Lets go of the file and the buffer, then completes the awaiter, inline. Loop thread.</summary>
    public void Complete()
    {
        _pin.Dispose();
        _pin = default;
        _file!.DangerousRelease();
        _file = null;
        _core.SetResult(_answer);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <remarks>
    /// The request completes on the loop it was started from. An awaiter there asks to resume on
    /// the loop's context, which would post its continuation back to the very loop that is
    /// completing it: one more queue trip per request. Resuming inline is resuming on that
    /// context, so the request drops the flag then.
    /// </remarks>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
            && SynchronizationContext.Current == worker.Loop.SynchronizationContext
            && TaskScheduler.Current == TaskScheduler.Default)
        {
            flags &= ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext;
        }
        _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>Throws an <see cref="IOException"/> naming the subject, the write and the errno if it failed; the request goes back to the pool.</summary>
    public void GetResult(short token)
    {
        var result = _core.GetResult(token);
        var failure = result < 0 ? Failure(-result) : null;
        Recycle();
        if (failure is not null)
        {
            throw failure;
        }
    }

    private IOException Failure(int errno) =>
        new($"{_subject}: write of {_length} bytes at {_startOffset} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private void Recycle()
    {
        _subject = null;
        _core.Reset();
        worker.Return(this);
    }

    [DllImport("libc", EntryPoint = "pwrite64", SetLastError = true)]
    private static extern nint Pwrite(int fd, nint buffer, nuint count, long offset);
}
