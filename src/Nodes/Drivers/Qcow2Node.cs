using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Nodes.Drivers.Qcow2;
using Nodes.Graph;

namespace Nodes.Drivers;

/// <summary>
/// The <c>qcow2</c> format (version 3, as <c>qemu-img create -f qcow2</c> makes it), over its
/// <c>file</c> child, with an optional <c>backing</c> child that serves the clusters the image
/// does not hold. The backing file named in the header is not opened: the backing is the node
/// the graph attaches (QEMU's <c>blockdev-add ... backing=node</c>); without one, unallocated
/// clusters read as zeroes. No options.
///
/// Reads map each cluster through the L1 and L2 tables: allocated clusters come from the file,
/// zero clusters are zeroes, unallocated ones come from the backing (zeroes past its end).
/// Writes go in place to allocated clusters; an unallocated or zero cluster gets a new cluster
/// appended at the end of the file, its untouched part filled from where it read before
/// (copy-on-write). Metadata is written through, in an order that keeps the image consistent
/// after any prefix of the writes (at worst a leaked cluster): data, its refcounts, the L2
/// table (new ones with their refcounts), then the L1 entry. Write-zeroes zeroes allocated
/// clusters in place and writes zeroes into the others; discard is accepted and does nothing
/// (the clusters keep their data, which the discard contract allows).
///
/// Refused, naming the node: encryption, external data files, extended L2 entries, refcounts
/// other than 16 bits, images with the dirty or corrupt bit, unknown incompatible features; and
/// per request: compressed clusters, and writes to clusters shared with internal snapshots.
///
/// Requests interleave on the node's IoThread. Reads and writes into allocated clusters run
/// freely; allocation (which also re-reads the mapping) runs under one asynchronous lock per
/// node, so two writes into the same unallocated cluster or L2 table never allocate twice. L2
/// tables are cached once read, never evicted (an image of 1 TiB with 64 KiB clusters needs
/// 128 MiB for all of them): one canonical copy per table is what makes the lock sufficient.
/// </summary>
public sealed class Qcow2Node(NodeSettings settings) : BlockNode(settings)
{
    private readonly SemaphoreSlim _allocation = new(1, 1);
    private readonly Dictionary<int, byte[]> _l2Tables = [];
    private Qcow2Header? _header;
    private ulong[] _l1 = [];
    private ClusterAllocator? _allocator;
    private ulong _autoclear;
    private byte[]? _zeroes;

    public override long Length => Header.Size;

    private Qcow2Header Header => _header ?? throw new InvalidOperationException($"Node '{Name}' is not open.");

    private ClusterAllocator Allocator => _allocator ?? throw new InvalidOperationException($"Node '{Name}' is not open.");

    private BlockNode? Backing => Children.GetValueOrDefault(ChildRole.Backing);

    private int ClusterBits => Header.ClusterBits;

    private int ClusterSize => Header.ClusterSize;

    private int EntriesPerTable => ClusterSize / sizeof(ulong);

    public override async ValueTask OpenAsync()
    {
        var first = new byte[Math.Min(File.Length, Qcow2Header.Version3Length)];
        await File.ReadAsync(0, first);
        var header = Qcow2Header.Parse(first, Name, File.Length);
        var l1Bytes = new byte[(long)header.L1Size * sizeof(ulong)];
        if (header.L1TableOffset + l1Bytes.Length > File.Length)
        {
            throw Corrupt("its L1 table reaches past the end of its file");
        }
        await File.ReadAsync(header.L1TableOffset, l1Bytes);
        var l1 = new ulong[header.L1Size];
        for (var i = 0; i < l1.Length; i++)
        {
            l1[i] = BinaryPrimitives.ReadUInt64BigEndian(l1Bytes.AsSpan(i * sizeof(ulong)));
            if ((L2Entry.HostOffset(l1[i]) & (header.ClusterSize - 1)) != 0)
            {
                throw Corrupt($"L1 entry {i} points to an L2 table that is not cluster aligned");
            }
        }
        _allocator = await ClusterAllocator.LoadAsync(File, header, Name);
        _l1 = l1;
        _autoclear = header.AutoclearFeatures;
        _header = header;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        CheckRange(offset, buffer.Length);
        var done = 0;
        while (done < buffer.Length)
        {
            var run = await MapAsync(offset + done, buffer.Length - done);
            var part = buffer.Slice(done, (int)run.Length);
            switch (run.Kind)
            {
                case ClusterKind.Data:
                    await File.ReadAsync(run.HostOffset, part);
                    break;
                case ClusterKind.ZeroPlain or ClusterKind.ZeroAllocated:
                    part.Span.Clear();
                    break;
                case ClusterKind.Unallocated:
                    await ReadBackingAsync(offset + done, part);
                    break;
                default:
                    throw Unsupported(offset + done, "read a compressed cluster");
            }
            done += part.Length;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        CheckRange(offset, data.Length);
        await ClearAutoclearAsync();
        var done = 0;
        while (done < data.Length)
        {
            var run = await MapAsync(offset + done, data.Length - done);
            if (run.Kind == ClusterKind.Data && run.Writable)
            {
                await File.WriteAsync(run.HostOffset, data.Slice(done, (int)run.Length), fua: false);
                done += (int)run.Length;
            }
            else
            {
                done += await AllocatingWriteAsync(offset + done, data[done..]);
            }
        }
        if (fua)
        {
            await File.FlushAsync();
        }
    }

    public override ValueTask FlushAsync() => File.FlushAsync();

    /// <summary>Accepted and ignored: the range keeps its clusters and data (a discarded range may read as anything).</summary>
    public override ValueTask DiscardAsync(long offset, long length)
    {
        CheckRange(offset, length);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Zeroes allocated clusters in place (<paramref name="mayUnmap"/> lets the file punch a hole),
    /// skips clusters that already read as zeroes, and writes zeroes into the rest.
    /// </summary>
    public override async ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap)
    {
        CheckRange(offset, length);
        await ClearAutoclearAsync();
        _zeroes ??= new byte[ClusterSize];
        var end = offset + length;
        while (offset < end)
        {
            var run = await MapAsync(offset, end - offset);
            var part = run.Length;
            if (run.Kind == ClusterKind.Data && run.Writable)
            {
                await File.WriteZeroesAsync(run.HostOffset, part, mayUnmap);
            }
            else if (run.Kind != ClusterKind.ZeroPlain && run.Kind != ClusterKind.ZeroAllocated && (run.Kind != ClusterKind.Unallocated || Backing is not null))
            {
                part = Math.Min(part, ClusterSize - (offset & (ClusterSize - 1)));
                await WriteAsync(offset, _zeroes.AsMemory(0, (int)part), fua: false);
            }
            offset += part;
        }
    }

    /// <summary>
    /// From the L2 tables, as QEMU's qcow2 answers: data and compressed clusters are data, zero
    /// clusters zeroes, both held by this image; unallocated clusters belong to the backing, and
    /// read as zeroes without one or past its end. Data clusters are not checked for holes in the
    /// file (QEMU does that only for images it detects as preallocated).
    /// </summary>
    public override ValueTask<BlockStatus> BlockStatusAsync(long offset, long length)
    {
        CheckStatusRange(offset, length);
        var run = MapAsync(offset, Math.Min(length, Length - offset));
        return run.IsCompletedSuccessfully ? new(StatusOf(offset, run.Result)) : AwaitStatusAsync(offset, run);
    }

    /// <summary>Reads of unallocated clusters fall through to the backing.</summary>
    public override BlockNode? FilteredOrBacking => Backing;

    private async ValueTask<BlockStatus> AwaitStatusAsync(long offset, ValueTask<ClusterRun> pending) => StatusOf(offset, await pending);

    private BlockStatus StatusOf(long offset, ClusterRun run) => run.Kind switch
    {
        ClusterKind.Data or ClusterKind.Compressed => BlockStatus.Stored(run.Length),
        ClusterKind.ZeroPlain or ClusterKind.ZeroAllocated => BlockStatus.Zeroes(run.Length),
        _ => new BlockStatus(run.Length, Data: false, Zero: Backing is not { } backing || offset >= backing.Length, Allocated: false),
    };

    /// <summary>The run of clusters that starts at <paramref name="offset"/>, at most <paramref name="length"/> bytes; no allocation when its L2 table is cached.</summary>
    private ValueTask<ClusterRun> MapAsync(long offset, long length)
    {
        var cluster = offset >> ClusterBits;
        var l1Index = (int)(cluster / EntriesPerTable);
        var l2Index = (int)(cluster % EntriesPerTable);
        var intra = offset & (ClusterSize - 1);
        if (L2Entry.HostOffset(_l1[l1Index]) == 0)
        {
            var rest = ((long)(EntriesPerTable - l2Index) << ClusterBits) - intra;
            return new(new ClusterRun(ClusterKind.Unallocated, 0, Math.Min(length, rest), Writable: false));
        }
        return _l2Tables.TryGetValue(l1Index, out var table)
            ? new(Scan(table, l2Index, intra, length))
            : LoadAndScanAsync(l1Index, l2Index, intra, length);
    }

    private async ValueTask<ClusterRun> LoadAndScanAsync(int l1Index, int l2Index, long intra, long length) =>
        Scan(await L2TableAsync(l1Index), l2Index, intra, length);

    /// <summary>
    /// The cached L2 table of <paramref name="l1Index"/>, read on first use. Two requests may read
    /// it at once; the first copy cached stays the only one, so an update made to it under the
    /// allocation lock is never lost to a later, stale copy.
    /// </summary>
    private async ValueTask<byte[]> L2TableAsync(int l1Index)
    {
        if (_l2Tables.TryGetValue(l1Index, out var cached))
        {
            return cached;
        }
        var offset = L2Entry.HostOffset(_l1[l1Index]);
        if (offset + ClusterSize > File.Length)
        {
            throw Corrupt($"the L2 table at {offset} lies past the end of its file");
        }
        var table = new byte[ClusterSize];
        await File.ReadAsync(offset, table);
        return _l2Tables.TryAdd(l1Index, table) ? table : _l2Tables[l1Index];
    }

    /// <summary>Merges the entries from <paramref name="l2Index"/> on while they have the same kind and contiguous host clusters.</summary>
    private ClusterRun Scan(byte[] table, int l2Index, long intra, long length)
    {
        var first = Entry(table, l2Index);
        var kind = L2Entry.KindOf(first);
        var hasHost = kind is ClusterKind.Data or ClusterKind.ZeroAllocated;
        var host = L2Entry.HostOffset(first);
        if (hasHost && (host & (ClusterSize - 1)) != 0)
        {
            throw Corrupt($"the L2 entry of guest offset {((long)l2Index << ClusterBits) + intra} points to {host}, not a cluster boundary");
        }
        var covered = ClusterSize - intra;
        if (kind != ClusterKind.Compressed)
        {
            for (var i = l2Index + 1; covered < length && i < EntriesPerTable; i++)
            {
                var next = Entry(table, i);
                var expected = hasHost ? (ulong)(host + ((long)(i - l2Index) << ClusterBits)) : 0;
                if (L2Entry.KindOf(next) != kind || ((next ^ first) & L2Entry.Copied) != 0 || (next & L2Entry.OffsetMask) != expected)
                {
                    break;
                }
                covered += ClusterSize;
            }
        }
        return new ClusterRun(kind, hasHost ? host + intra : 0, Math.Min(covered, length), (first & L2Entry.Copied) != 0);
    }

    /// <summary>
    /// Writes the part of <paramref name="data"/> that falls in the first run at
    /// <paramref name="offset"/>, allocating its clusters under the allocation lock, and returns
    /// how many bytes that was. The mapping is read again under the lock: a write that allocated
    /// the same clusters meanwhile turns this one into a plain write in place.
    /// </summary>
    private async ValueTask<int> AllocatingWriteAsync(long offset, ReadOnlyMemory<byte> data)
    {
        await _allocation.WaitAsync();
        try
        {
            var run = await MapAsync(offset, data.Length);
            var length = (int)run.Length;
            if (run.Kind == ClusterKind.Data && run.Writable)
            {
                await File.WriteAsync(run.HostOffset, data[..length], fua: false);
                return length;
            }
            var l1Index = (int)((offset >> ClusterBits) / EntriesPerTable);
            if (run.Kind == ClusterKind.Compressed || (run.Kind is ClusterKind.Data or ClusterKind.ZeroAllocated && !run.Writable)
                || (_l1[l1Index] != 0 && (_l1[l1Index] & L2Entry.Copied) == 0))
            {
                throw Unsupported(offset, "write a compressed cluster or one shared with an internal snapshot");
            }
            var intra = (int)(offset & (ClusterSize - 1));
            var clusterStart = offset - intra;
            var clusters = (intra + length + ClusterSize - 1) >> ClusterBits;
            var span = clusters << ClusterBits;
            var buffer = ArrayPool<byte>.Shared.Rent(span);
            try
            {
                // Copy-on-write: the parts of the first and last cluster the write leaves alone keep what they read before.
                await FillAsync(run.Kind, clusterStart, buffer.AsMemory(0, intra));
                await FillAsync(run.Kind, clusterStart + intra + length, buffer.AsMemory(intra + length, span - intra - length));
                data.Span[..length].CopyTo(buffer.AsSpan(intra));
                var fresh = run.Kind != ClusterKind.ZeroAllocated;
                var host = fresh ? await Allocator.ReserveAsync(File, clusters) : run.HostOffset - intra;
                await File.WriteAsync(host, buffer.AsMemory(0, span), fua: false);
                if (fresh)
                {
                    await Allocator.CommitAsync(File, host, clusters);
                }
                await MapClustersAsync(clusterStart, clusters, host);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return length;
        }
        finally
        {
            _allocation.Release();
        }
    }

    /// <summary>Fills <paramref name="buffer"/> with what the guest range at <paramref name="offset"/> read as before an allocating write.</summary>
    private ValueTask FillAsync(ClusterKind kind, long offset, Memory<byte> buffer)
    {
        if (kind == ClusterKind.Unallocated)
        {
            return ReadBackingAsync(offset, buffer);
        }
        buffer.Span.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Points the L2 entries of <paramref name="clusters"/> guest clusters from
    /// <paramref name="guestOffset"/> at the written host clusters from <paramref name="host"/>;
    /// makes their L2 table first if the L1 entry has none (table, its refcount, then L1 entry).
    /// </summary>
    private async ValueTask MapClustersAsync(long guestOffset, int clusters, long host)
    {
        var cluster = guestOffset >> ClusterBits;
        var l1Index = (int)(cluster / EntriesPerTable);
        var l2Index = (int)(cluster % EntriesPerTable);
        if (L2Entry.HostOffset(_l1[l1Index]) != 0)
        {
            var table = _l2Tables[l1Index];
            SetEntries(table, l2Index, clusters, host);
            var bytes = table.AsMemory(l2Index * sizeof(ulong), clusters * sizeof(ulong));
            await File.WriteAsync(L2Entry.HostOffset(_l1[l1Index]) + (l2Index * sizeof(ulong)), bytes, fua: false);
            return;
        }
        var fresh = new byte[ClusterSize];
        SetEntries(fresh, l2Index, clusters, host);
        var tableOffset = await Allocator.ReserveAsync(File, 1);
        await File.WriteAsync(tableOffset, fresh, fua: false);
        await Allocator.CommitAsync(File, tableOffset, 1);
        var entry = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(entry, L2Entry.ForData(tableOffset));
        await File.WriteAsync(Header.L1TableOffset + (l1Index * sizeof(ulong)), entry, fua: false);
        _l2Tables[l1Index] = fresh;
        _l1[l1Index] = L2Entry.ForData(tableOffset);
    }

    private void SetEntries(byte[] table, int l2Index, int clusters, long host)
    {
        for (var i = 0; i < clusters; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((l2Index + i) * sizeof(ulong)), L2Entry.ForData(host + ((long)i << ClusterBits)));
        }
    }

    private static ulong Entry(byte[] table, int index) => BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(index * sizeof(ulong)));

    /// <summary>Reads the backing's bytes at the same guest offset; zeroes past its end and without a backing.</summary>
    private ValueTask ReadBackingAsync(long offset, Memory<byte> buffer)
    {
        var available = Backing is { } backing ? Math.Clamp(Math.Min(backing.Length, Length) - offset, 0, buffer.Length) : 0;
        buffer.Span[(int)available..].Clear();
        return available > 0 ? Backing!.ReadAsync(offset, buffer[..(int)available]) : ValueTask.CompletedTask;
    }

    /// <summary>Clears the autoclear feature bits (bitmaps this driver does not update) once, before the first write.</summary>
    private async ValueTask ClearAutoclearAsync()
    {
        if (_autoclear == 0)
        {
            return;
        }
        await _allocation.WaitAsync();
        try
        {
            if (_autoclear != 0)
            {
                await File.WriteAsync(Qcow2Header.AutoclearFeaturesField, new byte[sizeof(ulong)], fua: false);
                _autoclear = 0;
            }
        }
        finally
        {
            _allocation.Release();
        }
    }

    private BlockIOException Corrupt(string why) => new(Errno.EIO, $"Node '{Name}': qcow2 metadata is inconsistent: {why}");

    private BlockIOException Unsupported(long offset, string what) =>
        new(Errno.ENOTSUP, $"Node '{Name}': cannot {what} (guest offset {offset}); this driver does not support it");
}
