using System.Runtime.CompilerServices;

namespace Nodes.Drivers;

/// <summary>
/// The <c>copy-on-read</c> filter (QEMU's driver of that name): a read of a range its
/// <c>file</c> child does not hold itself (the child's <see cref="BlockNode.BlockStatusAsync"/>
/// says unallocated: the data comes from the child's backing chain) is read through the child
/// and then written into it, so later reads are served by the top image and the backing is no
/// longer needed for that range. Ranges the child already holds are only read. Writes, flushes,
/// discards and write-zeroes pass through. No options.
///
/// A copy must not overwrite a guest write that lands between its read and its write-back: a
/// copy holds its range exclusively from before its read until its write-back completes, and
/// every write, write-zeroes and discard through the filter holds its range too. Writes that
/// reach the child by another path than this filter are not ordered against copies (QEMU
/// serialises those in the child node; here the filter is the only guard).
/// </summary>
public sealed class CopyOnReadNode(NodeSettings settings) : FilterNode(settings)
{
    private readonly RangeLock _ranges = new();

    /// <summary>Bytes copied from the backing chain into the child so far.</summary>
    public long CopiedBytes { get; private set; }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var status = await File.BlockStatusAsync(offset + done, buffer.Length - done);
            var part = buffer.Slice(done, (int)status.Length);
            if (status.Allocated)
            {
                await File.ReadAsync(offset + done, part);
            }
            else
            {
                await CopyAsync(offset + done, part);
            }
            done += part.Length;
        }
    }

    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        using var held = await _ranges.LockAsync(offset, data.Length);
        await File.WriteAsync(offset, data, fua);
    }

    public override async ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        using var held = await _ranges.LockAsync(offset, length);
        await File.WriteZeroesAsync(offset, length, mayUnmap);
    }

    public override async ValueTask DiscardAsync(long offset, long length)
    {
        using var held = await _ranges.LockAsync(offset, length);
        await File.DiscardAsync(offset, length);
    }

    /// <summary>
    /// Reads the range through the child and writes what it read back into the child. The read
    /// comes after the lock: a write that held the range first has completed, so the copy reads
    /// the guest's data, never a stale backing byte it would then write over the guest's.
    /// </summary>
    private async ValueTask CopyAsync(long offset, Memory<byte> buffer)
    {
        using var held = await _ranges.LockAsync(offset, buffer.Length);
        await File.ReadAsync(offset, buffer);
        await File.WriteAsync(offset, buffer, fua: false);
        CopiedBytes += buffer.Length;
    }
}
