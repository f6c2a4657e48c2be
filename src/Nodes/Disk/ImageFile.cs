using System.Runtime.CompilerServices;
using Actors.IoThreads;
using Microsoft.Win32.SafeHandles;

namespace Nodes.Disk;

/// <summary>
/// An open image on this host's disk: positional, asynchronous I/O on one file descriptor, plus
/// the QEMU-compatible lock bytes that keep other writers out while it is open.
///
/// Requests may run concurrently from any thread; each is independent, so overlapping writes land
/// in no particular order, as on a real disk. Writes made on an IoThread run on its write worker
/// (<see cref="EventLoop.IoWorker"/>) and complete on the IoThread, in batches; other writes (or
/// when the worker is full), flushes, and reads the page cache cannot serve run on the thread pool
/// through <see cref="RandomAccess"/>. The read and write paths allocate nothing of their own per
/// request: writes hand back the worker's pooled task (or <see cref="RandomAccess"/>'s) as is,
/// reads run on a pooled async state machine.
///
/// Durability: writes go to the page cache (QEMU's cache=writeback). <see cref="FlushAsync"/> is
/// fdatasync; a write with <c>fua</c> completes only after the data and a following fdatasync did
/// (the FUA is emulated with a flush of the whole file, as QEMU does for a file without O_DSYNC).
/// Once an fdatasync has failed, every later flush fails too: Linux may already have dropped the
/// dirty pages it could not write, so a later "successful" flush would claim data that is gone.
///
/// Close with no request in flight (the node drains first). Close releases the lock bytes at once.
/// </summary>
public sealed class ImageFile : IAsyncDisposable, IDisposable
{
    private const int ZeroChunk = 256 * 1024;

    private static readonly byte[] s_zeroes = new byte[ZeroChunk];
    private static readonly Action<object?> s_dataSync = static state => ((ImageFile)state!).DataSync();
    private static readonly Func<object?, int> s_fallocate = static state => ((FallocateCall)state!).Run();

    private readonly DiskBackend _backend;
    private readonly SafeFileHandle _handle;
    private readonly string _subject;
    private long _length;
    private int _closed;
    private int _flushErrno;
    private bool _readCached = true;
    private DataExtent? _dataExtent;

    internal ImageFile(DiskBackend backend, SafeFileHandle handle, string name, string path, ImageOpenOptions options, bool locked, long length)
    {
        _backend = backend;
        _handle = handle;
        Name = name;
        _subject = $"Image '{name}'";
        Path = path;
        Options = options;
        IsLocked = locked;
        _length = length;
    }

    /// <summary>The image's name: relative to the images dir when the backend is confined, else as given.</summary>
    public string Name { get; }

    /// <summary>The image's real path on this host.</summary>
    public string Path { get; }

    /// <summary>How it was opened.</summary>
    public ImageOpenOptions Options { get; }

    /// <summary>Read-only or read-write.</summary>
    public ImageAccess Access => Options.Access;

    /// <summary>True when this open holds QEMU-compatible lock bytes (locking on, or auto and supported).</summary>
    public bool IsLocked { get; }

    /// <summary>The image's size in bytes: requests must lie within [0, Length).</summary>
    public long Length => Volatile.Read(ref _length);

    /// <summary>True once <see cref="Close"/> ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Fills <paramref name="buffer"/> with the bytes at <paramref name="offset"/>. Bytes past the
    /// end of the file (shrunk by someone else, say) but inside the image read as zeroes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the image.</exception>
    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        CheckRange(offset, buffer.Length);
        if (buffer.IsEmpty)
        {
            return default;
        }
        if (_readCached)
        {
            // Served from the page cache on the caller's thread, a read costs one system call and
            // no trip through the thread pool (the IoThread stays where it is); only what the disk
            // must supply goes the asynchronous way.
            var read = Libc.ReadCached(_handle, buffer.Span, offset);
            if (read == buffer.Length)
            {
                return default;
            }
            if (read > 0)
            {
                offset += read;
                buffer = buffer[(int)read..];
            }
            else if (read == -Libc.EOPNOTSUPP)
            {
                _readCached = false;
            }
        }
        return ReadCoreAsync(offset, buffer, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/>. The caller keeps ownership of
    /// the buffer but must not change it until the task completes. With <paramref name="fua"/> the
    /// data is on stable storage when the task completes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the image.</exception>
    /// <exception cref="InvalidOperationException">The image is open read-only.</exception>
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua = false, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("write");
        CheckRange(offset, data.Length);
        if (data.IsEmpty)
        {
            return fua ? FlushAsync(cancellationToken) : default;
        }
        return fua ? WriteFuaAsync(offset, data, cancellationToken) : WriteCoreAsync(offset, data, cancellationToken);
    }

    /// <summary>
    /// Whether the file holds data at <paramref name="offset"/> or a hole (which reads as zeroes),
    /// and for how many bytes from there, at most <paramref name="length"/>: lseek SEEK_DATA and
    /// SEEK_HOLE on the calling thread, as QEMU's file driver asks. Where the file system cannot
    /// tell, the answer is data, which is always safe. The last data extent found is remembered
    /// (QEMU's block-status cache), so reads inside written data cost no system call; writes only
    /// add data, and discards, write-zeroes and resizes forget it.
    /// </summary>
    public bool IsDataAt(long offset, long length, out long extent)
    {
        ThrowIfClosed();
        if (Volatile.Read(ref _dataExtent) is { } known && offset >= known.Start && offset < known.End)
        {
            extent = Math.Min(length, known.End - offset);
            return true;
        }
        var data = Libc.Seek(_handle, offset, Libc.SEEK_DATA);
        if (data == -Libc.ENXIO)
        {
            // No data from here to the end of the file: a trailing hole.
            extent = length;
            return false;
        }
        if (data > offset)
        {
            extent = Math.Min(length, data - offset);
            return false;
        }
        var hole = data == offset ? Libc.Seek(_handle, offset, Libc.SEEK_HOLE) : -1;
        if (hole <= offset)
        {
            // lseek failed, or a hole was punched between the two calls: claim data, never a wrong hole.
            extent = length;
            return true;
        }
        Volatile.Write(ref _dataExtent, new DataExtent(offset, hole));
        extent = Math.Min(length, hole - offset);
        return true;
    }

    /// <summary>Makes every completed write durable (fdatasync), on a thread-pool thread.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return new ValueTask(Task.Factory.StartNew(s_dataSync, this, cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));
    }

    /// <summary>
    /// Deallocates the range (punches a hole, keeping the file's size); it reads as zeroes after.
    /// Where the file system cannot punch holes, zeroes are written instead.
    /// </summary>
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("discard");
        CheckRange(offset, length);
        return length == 0 ? default : ZeroCoreAsync(offset, length, Libc.FALLOC_FL_PUNCH_HOLE, cancellationToken);
    }

    /// <summary>
    /// Makes the range read as zeroes. With <paramref name="mayUnmap"/> the blocks may be
    /// deallocated (hole punch); without, they stay allocated (FALLOC_FL_ZERO_RANGE). Falls back to
    /// writing zeroes where the file system supports neither.
    /// </summary>
    public ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("write zeroes");
        CheckRange(offset, length);
        if (length == 0)
        {
            return default;
        }
        return ZeroCoreAsync(offset, length, mayUnmap ? Libc.FALLOC_FL_PUNCH_HOLE : Libc.FALLOC_FL_ZERO_RANGE, cancellationToken);
    }

    /// <summary>Grows (sparsely) or shrinks the image to <paramref name="newSize"/> bytes.</summary>
    public void Resize(long newSize)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("resize");
        ArgumentOutOfRangeException.ThrowIfNegative(newSize);
        RandomAccess.SetLength(_handle, newSize);
        Volatile.Write(ref _length, newSize);
        Volatile.Write(ref _dataExtent, null);
    }

    /// <summary>Releases the lock bytes and closes the file. Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        try
        {
            if (IsLocked)
            {
                ImageLock.Release(_handle);
            }
            _handle.Dispose();
        }
        finally
        {
            _backend.Forget(this);
        }
    }

    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return default;
    }

    public override string ToString() => $"image '{Name}' ({Access}, {Length} bytes)";

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadCoreAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await RandomAccess.ReadAsync(_handle, buffer[done..], offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                // End of file inside the image: the rest is a hole.
                buffer.Span[done..].Clear();
                return;
            }
            done += read;
        }
    }

    /// <summary>On the IoThread's write worker when this runs on an IoThread and the worker has room; else on the thread pool.</summary>
    private ValueTask WriteCoreAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        EventLoop.Current?.IoWorker is { } worker && worker.TryWrite(_handle, data, offset, _subject, out var write)
            ? write
            : RandomAccess.WriteAsync(_handle, data, offset, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteFuaAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await WriteCoreAsync(offset, data, cancellationToken).ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask ZeroCoreAsync(long offset, long length, int firstMode, CancellationToken cancellationToken)
    {
        // Past the end of the file everything already reads as zeroes; allocating there (ZERO_RANGE
        // with KEEP_SIZE would) only wastes space.
        var end = Math.Min(offset + length, RandomAccess.GetLength(_handle));
        if (end <= offset)
        {
            return;
        }
        length = end - offset;

        // Forgotten before and after: a query between the two may remember data the fallocate
        // then removes, and the second clears that.
        Volatile.Write(ref _dataExtent, null);
        try
        {
            await ZeroRangeAsync(offset, length, firstMode, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _dataExtent, null);
        }
    }

    private async ValueTask ZeroRangeAsync(long offset, long length, int firstMode, CancellationToken cancellationToken)
    {
        // Punch a hole, else zero the range in place, else write zeroes: each step only when the
        // file system says the previous one is not supported.
        var mode = firstMode;
        while (mode != 0)
        {
            var call = new FallocateCall(this, mode | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
            var errno = await Task.Factory.StartNew(s_fallocate, call, cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)
                .ConfigureAwait(false);
            if (errno == 0)
            {
                return;
            }
            if (errno is not (Libc.EOPNOTSUPP or Libc.ENOSYS))
            {
                throw new IOException($"Image '{Name}': fallocate({ModeName(mode)}) of {length} bytes at {offset} failed: {Libc.Describe(errno)}");
            }
            mode = mode == Libc.FALLOC_FL_PUNCH_HOLE ? Libc.FALLOC_FL_ZERO_RANGE : 0;
        }

        for (var done = 0L; done < length; done += ZeroChunk)
        {
            var chunk = (int)Math.Min(ZeroChunk, length - done);
            await RandomAccess.WriteAsync(_handle, s_zeroes.AsMemory(0, chunk), offset + done, cancellationToken).ConfigureAwait(false);
        }
    }

    private void DataSync()
    {
        var earlier = Volatile.Read(ref _flushErrno);
        if (earlier != 0)
        {
            throw new IOException($"Image '{Name}': an earlier flush failed ({Libc.Describe(earlier)}); written data may be lost, so no later flush can succeed");
        }
        var errno = Libc.Fdatasync(_handle);
        if (errno != 0)
        {
            Interlocked.CompareExchange(ref _flushErrno, errno, 0);
            throw new IOException($"Image '{Name}': fdatasync failed: {Libc.Describe(errno)}");
        }
    }

    private void CheckRange(long offset, long length)
    {
        var size = Length;
        if (offset < 0 || length < 0 || offset > size - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Image '{Name}': a request of {length} bytes at offset {offset} is outside the image ({size} bytes).");
        }
    }

    private void ThrowIfReadOnly(string operation)
    {
        if (Options.Access != ImageAccess.ReadWrite)
        {
            throw new InvalidOperationException($"Image '{Name}' is open read-only: {operation} refused.");
        }
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ObjectDisposedException($"image '{Name}'", $"Image '{Name}' is closed.");
        }
    }

    private static string ModeName(int mode) => mode switch
    {
        Libc.FALLOC_FL_PUNCH_HOLE => "PUNCH_HOLE|KEEP_SIZE",
        Libc.FALLOC_FL_ZERO_RANGE => "ZERO_RANGE|KEEP_SIZE",
        _ => mode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A range known to hold data, from one SEEK_DATA / SEEK_HOLE pair; immutable, so it is read whole.</summary>
    private sealed record DataExtent(long Start, long End);

    /// <summary>One fallocate call's arguments, handed to the thread pool as state (no closure).</summary>
    private sealed record FallocateCall(ImageFile Image, int Mode, long Offset, long Length)
    {
        public int Run() => Libc.Fallocate(Image._handle, Mode, Offset, Length);
    }
}
