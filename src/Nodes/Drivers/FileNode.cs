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
    private ImageFile? _image;

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

    public override ValueTask FlushAsync() => Image.FlushAsync();

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

    public override ValueTask CloseAsync()
    {
        _image?.Close();
        _image = null;
        return ValueTask.CompletedTask;
    }

    private void RequireWritable()
    {
        if (Image.Access != ImageAccess.ReadWrite)
        {
            throw new BlockIOException(Errno.EROFS, $"Node '{Name}' is read-only");
        }
    }
}
