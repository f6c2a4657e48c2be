using Actors.IoThreads;
using Nodes.Disk;

namespace Nodes.Drivers;

/// <summary>
/// The <c>file</c> protocol driver: an image on this host's disk backend, opened with
/// QEMU-compatible locks, so QEMU and this engine refuse to write the same image at once.
/// Options: <c>filename</c> (as QEMU takes it, absolute or relative to the working directory; relative
/// to the images dir when the disk backend is confined), <c>read-only</c> (on/off),
/// <c>locking</c> (on/off/auto), <c>force-share</c> (on/off, read-only only).
/// Completions of the disk's asynchronous I/O resume on the node's IoThread (the awaiting code
/// runs under the loop's synchronisation context).
/// </summary>
public sealed class FileNode(NodeSettings settings, DiskBackend disk) : BlockNode(settings)
{
    private readonly Lock _outsideLock = new();
    private ImageFile? _image;
    // Front ends' flushes waiting for the disk outside the graph: no drain waits for them, so a
    // close does (its fdatasync must not meet a closed file). Their completions run on the
    // IoThread they entered on, which may not be this node's after a move: hence the lock.
    private int _flushesOutside;
    private TaskCompletionSource? _flushesBack;

    public override long Length => Image.Length;

    private ImageFile Image => _image ?? throw new InvalidOperationException($"Node '{Name}' is not open.");

    public override ValueTask OpenAsync()
    {
        var filename = Settings.Options.GetValueOrDefault("filename")
            ?? throw new ArgumentException($"Node '{Name}': parameter 'filename' is required");
        var locking = Settings.Get("locking", "auto") switch
        {
            "auto" => ImageLocking.Auto,
            "on" => ImageLocking.On,
            "off" => ImageLocking.Off,
            var other => throw new ArgumentException($"Node '{Name}' option 'locking': expected on, off or auto, got '{other}'"),
        };
        var access = Settings.GetBool("read-only", false) ? ImageAccess.ReadOnly : ImageAccess.ReadWrite;
        try
        {
            _image = disk.Open(filename, new ImageOpenOptions(access, locking, Settings.GetBool("force-share", false)));
        }
        catch (ImagePathException refused)
        {
            throw refused.ForNode(Name);
        }
        return ValueTask.CompletedTask;
    }

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        return Image.ReadAsync(offset, buffer);
    }

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        RequireWritable();
        return Image.WriteAsync(offset, data, fua);
    }

    /// <summary>fdatasync; in a front end's flush, outside the graph (see <see cref="BlockNode.FlushForFrontEndAsync"/>).</summary>
    public override ValueTask FlushAsync() =>
        IoThread.Current is { } io && io.TryWaitOutside(Name, WaitingForDisk) ? FlushOutsideGraphAsync(io) : Image.FlushAsync();

    // What a writer that waits is told this node's flush does.
    private const string WaitingForDisk = "flush, waiting for the disk";

    private async ValueTask FlushOutsideGraphAsync(IoThread io)
    {
        lock (_outsideLock)
        {
            _flushesOutside++;
        }
        try
        {
            await Image.FlushAsync();
        }
        finally
        {
            TaskCompletionSource? closing = null;
            lock (_outsideLock)
            {
                if (--_flushesOutside == 0)
                {
                    (closing, _flushesBack) = (_flushesBack, null);
                }
            }
            closing?.SetResult();
            await io.ReturnToGraphAsync();
        }
    }

    public override ValueTask DiscardAsync(long offset, long length)
    {
        CheckRange(offset, length);
        RequireWritable();
        return Image.DiscardAsync(offset, length);
    }

    public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        RequireWritable();
        return Image.WriteZeroesAsync(offset, length, mayUnmap);
    }

    /// <summary>Data or a hole, as the file system says (SEEK_DATA / SEEK_HOLE); both are this node's own.</summary>
    public override ValueTask<BlockStatus> BlockStatusAsync(long offset, long length)
    {
        CheckStatusRange(offset, length);
        var isData = Image.IsDataAt(offset, Math.Min(length, Length - offset), out var extent);
        return ValueTask.FromResult(isData ? BlockStatus.Stored(extent) : BlockStatus.Zeroes(extent));
    }

    /// <summary>Grows (sparsely) or shrinks the image file; a format on top grows it as it allocates.</summary>
    public override ValueTask TruncateAsync(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        RequireWritable();
        Image.Resize(length);
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the image once the flushes waiting for the disk outside the graph are back.</summary>
    public override async ValueTask CloseAsync()
    {
        Task? back = null;
        lock (_outsideLock)
        {
            if (_flushesOutside > 0)
            {
                back = (_flushesBack ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
        if (back is not null)
        {
            await back;
        }
        _image?.Close();
        _image = null;
    }

    private void RequireWritable()
    {
        if (Image.Access != ImageAccess.ReadWrite)
        {
            throw new BlockIOException(Errno.EROFS, $"Node '{Name}' is read-only");
        }
    }
}
