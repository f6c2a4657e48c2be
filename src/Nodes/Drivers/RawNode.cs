namespace Nodes.Drivers;

/// <summary>
/// The <c>raw</c> format: the bytes of its <c>file</c> child, optionally a window of them
/// (<c>offset</c> and <c>size</c> options, as QEMU's raw driver).
/// </summary>
public sealed class RawNode(NodeSettings settings) : BlockNode(settings)
{
    private readonly long _offset = settings.GetSize("offset", 0);
    private readonly long? _size = settings.Options.ContainsKey("size") ? settings.GetSize("size", 0) : null;

    public override long Length => _size ?? File.Length - _offset;

    public override ValueTask OpenAsync()
    {
        if (_offset > File.Length || (_size is { } size && _offset + size > File.Length))
        {
            throw new BlockIOException(Errno.EINVAL, $"Node '{Name}': the window {_offset}+{_size} does not fit in its file's {File.Length} bytes");
        }
        return ValueTask.CompletedTask;
    }

    public override ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        return File.ReadAsync(_offset + offset, buffer);
    }

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        return File.WriteAsync(_offset + offset, data, fua);
    }

    public override ValueTask FlushAsync() => File.FlushAsync();

    public override ValueTask DiscardAsync(long offset, long length)
    {
        CheckRange(offset, length);
        return File.DiscardAsync(_offset + offset, length);
    }

    public override ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        return File.WriteZeroesAsync(_offset + offset, length, mayUnmap);
    }

    /// <summary>The file's status at the same bytes, shifted by the window.</summary>
    public override ValueTask<BlockStatus> BlockStatusAsync(long offset, long length)
    {
        CheckStatusRange(offset, length);
        return File.BlockStatusAsync(_offset + offset, Math.Min(length, Length - offset));
    }

    /// <summary>Without a window the node is a filter of its file, as QEMU's raw driver treats it; with one, the chain ends here.</summary>
    public override BlockNode? FilteredOrBacking => _offset == 0 && _size is null ? File : null;
}
