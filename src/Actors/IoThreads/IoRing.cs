using Microsoft.Win32.SafeHandles;
using static Actors.IoThreads.IoUringNative;

namespace Actors.IoThreads;

/// <summary>
/// An <see cref="EventLoop"/>'s io_uring (QEMU's per-AioContext LuringState): file I/O submitted
/// from the loop's thread without a thread-pool trip. Requests made during an iteration wait in
/// the submission ring and go to the kernel together, in one io_uring_enter at the end of the
/// iteration; completions are reaped by the loop at each iteration and their awaiters resume
/// right there, on the loop. The ring signals the loop's own wake-up eventfd at each completion,
/// so a sleeping loop wakes for them as it does for a post.
/// </summary>
/// <remarks>
/// Get it from <see cref="EventLoop.Ring"/>, on the loop's thread only; it is null where io_uring
/// is unavailable (not Linux, a kernel before 5.6, <c>kernel.io_uring_disabled</c>, a seccomp
/// filter) and callers keep their thread-pool path. <c>Try...</c> methods refuse (false) when as
/// many requests are in flight as the completion ring holds, so the completion ring never
/// overflows. A request holds a reference on its file and pins its buffer until it completes;
/// the caller must not change the buffer meanwhile. The loop drains the ring when it stops.
/// </remarks>
public sealed unsafe class IoRing : IDisposable
{
    private const uint Entries = 256;

    private readonly int _fd;
    private readonly byte* _sqRing;
    private readonly nuint _sqRingSize;
    private readonly byte* _cqRing;
    private readonly nuint _cqRingSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;
    private readonly IoRingOperation[] _operations;
    private readonly Stack<IoRingOperation> _free;
    private uint _unsubmitted;
    private bool _disposed;

    private IoRing(EventLoop loop, int fd, byte* parameters, byte* sqRing, nuint sqRingSize, byte* cqRing, nuint cqRingSize, byte* sqes, nuint sqesSize)
    {
        Loop = loop;
        _fd = fd;
        _sqRing = sqRing;
        _sqRingSize = sqRingSize;
        _cqRing = cqRing;
        _cqRingSize = cqRingSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        _sqEntries = Field(parameters, ParamsSqEntries);
        _sqHead = (uint*)(sqRing + Field(parameters, SqOffHead));
        _sqTail = (uint*)(sqRing + Field(parameters, SqOffTail));
        _sqMask = *(uint*)(sqRing + Field(parameters, SqOffRingMask));
        _cqHead = (uint*)(cqRing + Field(parameters, CqOffHead));
        _cqTail = (uint*)(cqRing + Field(parameters, CqOffTail));
        _cqMask = *(uint*)(cqRing + Field(parameters, CqOffRingMask));
        _cqes = cqRing + Field(parameters, CqOffCqes);

        // SQE i always sits in slot i of the indirection array, so only the tail moves.
        var array = (uint*)(sqRing + Field(parameters, SqOffArray));
        for (var i = 0u; i < _sqEntries; i++)
        {
            array[i] = i;
        }
        var capacity = (int)Field(parameters, ParamsCqEntries);
        _operations = new IoRingOperation[capacity];
        _free = new Stack<IoRingOperation>(capacity);
        for (var i = capacity - 1; i >= 0; i--)
        {
            _operations[i] = new IoRingOperation(this, i);
            _free.Push(_operations[i]);
        }
    }

    /// <summary>The loop this ring belongs to: requests are made, reaped and completed on its thread.</summary>
    public EventLoop Loop { get; }

    /// <summary>Requests started and not yet handed back by their awaiters.</summary>
    public int InFlight => _operations.Length - _free.Count;

    /// <summary>
    /// Writes all of <paramref name="data"/> at <paramref name="offset"/> (pwrite, continued after
    /// a short write). The ValueTask throws an <see cref="IOException"/> beginning with
    /// <paramref name="subject"/> when the kernel reports an error. False when the ring is full.
    /// </summary>
    public bool TryWrite(SafeFileHandle file, ReadOnlyMemory<byte> data, long offset, string subject, out ValueTask write)
    {
        if (!TryStart(OpWrite, file, data, offset, 0, subject, out var operation))
        {
            write = default;
            return false;
        }
        write = new ValueTask(operation, operation.Version);
        return true;
    }

    /// <summary>
    /// Reads into <paramref name="buffer"/> at <paramref name="offset"/> (pread, continued after a
    /// short read): the bytes read, fewer only at the end of the file, or minus the errno.
    /// False when the ring is full.
    /// </summary>
    public bool TryRead(SafeFileHandle file, Memory<byte> buffer, long offset, out ValueTask<int> read)
    {
        if (!TryStart(OpRead, file, buffer, offset, 0, null, out var operation))
        {
            read = default;
            return false;
        }
        read = new ValueTask<int>(operation, operation.Version);
        return true;
    }

    /// <summary>fdatasync of <paramref name="file"/>: 0, or minus the errno. False when the ring is full.</summary>
    public bool TryDataSync(SafeFileHandle file, out ValueTask<int> sync)
    {
        if (!TryStart(OpFsync, file, ReadOnlyMemory<byte>.Empty, 0, FsyncDataSync, null, out var operation))
        {
            sync = default;
            return false;
        }
        sync = new ValueTask<int>(operation, operation.Version);
        return true;
    }

    /// <summary>
    /// Tries to set up a ring for <paramref name="loop"/> whose completions signal
    /// <paramref name="eventFd"/>; null when io_uring is not there or not allowed.
    /// </summary>
    internal static IoRing? TryCreate(EventLoop loop, int eventFd)
    {
        var parameters = stackalloc byte[ParamsSize];
        new Span<byte>(parameters, ParamsSize).Clear();
        var fd = Setup(Entries, parameters);
        if (fd < 0)
        {
            // ENOSYS (no io_uring or a seccomp filter), EPERM / EACCES (io_uring_disabled), ENOMEM.
            return null;
        }
        var features = Field(parameters, ParamsFeatures);
        if ((features & (FeatureNoDrop | FeatureRwCurPos)) != (FeatureNoDrop | FeatureRwCurPos))
        {
            Close(fd);
            return null;
        }
        var sqRingSize = (nuint)(Field(parameters, SqOffArray) + Field(parameters, ParamsSqEntries) * sizeof(uint));
        var cqRingSize = (nuint)(Field(parameters, CqOffCqes) + Field(parameters, ParamsCqEntries) * CqeSize);
        var sqesSize = (nuint)(Field(parameters, ParamsSqEntries) * SqeSize);
        byte* sqRing, cqRing;
        if ((features & FeatureSingleMmap) != 0)
        {
            sqRingSize = cqRingSize = Math.Max(sqRingSize, cqRingSize);
            cqRing = sqRing = Map(fd, sqRingSize, SqRingOffset);
        }
        else
        {
            sqRing = Map(fd, sqRingSize, SqRingOffset);
            cqRing = Map(fd, cqRingSize, CqRingOffset);
        }
        var sqes = Map(fd, sqesSize, SqesOffset);
        if (sqRing is null || cqRing is null || sqes is null || RegisterEventFdOn(fd, eventFd) != 0)
        {
            Unmap(sqRing, sqRingSize, cqRing, cqRingSize, sqes, sqesSize);
            Close(fd);
            return null;
        }
        return new IoRing(loop, fd, parameters, sqRing, sqRingSize, cqRing, cqRingSize, sqes, sqesSize);
    }

    /// <summary>Sends the requests queued since the last call to the kernel, in one io_uring_enter. Loop thread.</summary>
    /// <returns>True when some are left for the next iteration (the kernel was short of memory).</returns>
    internal bool Submit()
    {
        while (_unsubmitted > 0)
        {
            var consumed = Enter(_fd, _unsubmitted, 0, 0);
            if (consumed > 0)
            {
                _unsubmitted -= (uint)consumed;
                continue;
            }
            if (consumed is -EINTR)
            {
                continue;
            }
            if (consumed is 0 or -EAGAIN or -EBUSY)
            {
                // Requests stay queued in the ring; the loop keeps iterating, reaping, and asks again.
                return true;
            }
            throw new InvalidOperationException($"IoThread '{Loop.Name}': io_uring_enter failed (errno {-consumed})");
        }
        return false;
    }

    /// <summary>Completes every request the kernel has finished; their awaiters run here, inline. Loop thread.</summary>
    /// <returns>True when something completed.</returns>
    internal bool Reap()
    {
        var reaped = false;
        var head = *_cqHead;
        // Acquire: the entry is read only after the kernel's tail store that published it.
        while (head != Volatile.Read(ref *_cqTail))
        {
            var cqe = _cqes + (head & _cqMask) * CqeSize;
            var operation = _operations[(int)*(ulong*)(cqe + CqeUserData)];
            var result = *(int*)(cqe + CqeResult);
            // Release: the slot goes back to the kernel before the awaiter runs (it may queue more).
            Volatile.Write(ref *_cqHead, ++head);
            reaped = true;
            if (operation.Advance(result))
            {
                operation.Complete(result);
            }
            else
            {
                Queue(operation);
            }
        }
        return reaped;
    }

    /// <summary>An awaiter took its result: the request may serve again.</summary>
    internal void Return(IoRingOperation operation)
    {
        if (Loop.IsCurrent || _disposed)
        {
            _free.Push(operation);
        }
        else
        {
            // Awaited from another context (AsTask, say): the pool is the loop's alone.
            Loop.Post(static state => ((IoRingOperation)state!).Ring.Return((IoRingOperation)state!), operation);
        }
    }

    /// <summary>
    /// Waits for every request in flight to complete (their awaiters run on the calling thread),
    /// then unmaps the rings and closes the descriptor. Called by the loop as it stops.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        while (InFlightInKernel() > 0)
        {
            Submit();
            if (*_cqHead == Volatile.Read(ref *_cqTail))
            {
                var result = Enter(_fd, 0, 1, EnterGetEvents);
                if (result < 0 && result is not (-EINTR or -EAGAIN or -EBUSY))
                {
                    break;
                }
            }
            Reap();
        }
        _disposed = true;
        Unmap(_sqRing, _sqRingSize, _cqRing, _cqRingSize, _sqes, _sqesSize);
        Close(_fd);
    }

    private bool TryStart(byte opcode, SafeFileHandle file, ReadOnlyMemory<byte> buffer, long offset, uint opFlags, string? subject, out IoRingOperation operation)
    {
        Loop.AssertOnLoop();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_free.TryPop(out operation!))
        {
            return false;
        }
        operation.Start(opcode, file, buffer, offset, opFlags, subject);
        Queue(operation);
        return true;
    }

    /// <summary>
    /// Fills the next SQE for <paramref name="operation"/>'s remaining part. Requests are queued
    /// only on the loop's thread, inside an iteration or right after its sleep, and both end with
    /// <see cref="Submit"/>, so none waits for a wake-up.
    /// </summary>
    private void Queue(IoRingOperation operation)
    {
        var tail = *_sqTail;
        if (tail - Volatile.Read(ref *_sqHead) == _sqEntries)
        {
            // A full submission ring is handed over now, which frees every slot.
            Submit();
        }
        var sqe = _sqes + (tail & _sqMask) * SqeSize;
        new Span<byte>(sqe, SqeSize).Clear();
        sqe[SqeOpcode] = operation.Opcode;
        *(int*)(sqe + SqeFd) = operation.Fd;
        *(long*)(sqe + SqeOffset) = operation.Offset;
        *(nint*)(sqe + SqeAddress) = operation.Address;
        *(int*)(sqe + SqeLength) = operation.Remaining;
        *(uint*)(sqe + SqeOpFlags) = operation.OpFlags;
        *(ulong*)(sqe + SqeUserData) = (ulong)operation.Index;
        // Release: the kernel reads the SQE only after it sees the tail that covers it.
        Volatile.Write(ref *_sqTail, tail + 1);
        _unsubmitted++;
    }

    /// <summary>Requests the kernel has (or will have, once submitted) and not yet answered.</summary>
    private int InFlightInKernel()
    {
        var outstanding = 0;
        foreach (var operation in _operations)
        {
            outstanding += operation.IsPending ? 1 : 0;
        }
        return outstanding;
    }

    private static uint Field(byte* parameters, int offset) => *(uint*)(parameters + offset);

    private static void Unmap(byte* sqRing, nuint sqRingSize, byte* cqRing, nuint cqRingSize, byte* sqes, nuint sqesSize)
    {
        if (sqes is not null)
        {
            Munmap((nint)sqes, sqesSize);
        }
        if (cqRing is not null && cqRing != sqRing)
        {
            Munmap((nint)cqRing, cqRingSize);
        }
        if (sqRing is not null)
        {
            Munmap((nint)sqRing, sqRingSize);
        }
    }
}
