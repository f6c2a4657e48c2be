using System.Buffers.Binary;

namespace Nodes.Drivers.Qcow2;

/// <summary>
/// Allocates host clusters of a qcow2 image and keeps their 16-bit refcounts: the refcount
/// table (block offsets) and the refcount blocks read so far, in memory and written through.
///
/// Clusters are appended at the end of the file and never reused, so a reservation needs no
/// search and a cluster freed by a table move stays a hole with refcount 0 (which
/// <c>qemu-img check</c> accepts). A caller reserves clusters (<see cref="ReserveAsync"/>, which
/// grows the file), writes them, then commits them (<see cref="CommitAsync"/>): until the commit
/// nothing on disk refers to them, so a crash in between leaves the image consistent.
///
/// Not thread-safe and not re-entrant: the node calls it only under its allocation lock.
/// </summary>
public sealed class ClusterAllocator
{
    private const int RefcountBytes = 2;

    private readonly string _node;
    private readonly int _clusterBits;
    private readonly int _entriesPerBlock;
    private readonly List<long> _table;
    private readonly Dictionary<long, byte[]> _blocks = [];
    private readonly Dictionary<long, (int First, int Last)> _dirtyBlocks = [];
    private long _tableOffset;
    private int _tableClusters;
    private int _firstDirtyEntry = int.MaxValue;
    private int _lastDirtyEntry = -1;
    private long _end;

    private ClusterAllocator(string node, Qcow2Header header, List<long> table, long fileLength)
    {
        _node = node;
        _clusterBits = header.ClusterBits;
        _entriesPerBlock = header.ClusterSize / RefcountBytes;
        _table = table;
        _tableOffset = header.RefcountTableOffset;
        _tableClusters = header.RefcountTableClusters;
        _end = (fileLength + ClusterSize - 1) & ~(long)(ClusterSize - 1);
    }

    private int ClusterSize => 1 << _clusterBits;

    /// <summary>How many refcount table entries fit in the table's clusters on disk.</summary>
    private int TableCapacity => (int)Math.Min(((long)_tableClusters << _clusterBits) / sizeof(long), int.MaxValue);

    /// <summary>Reads the refcount table of the image behind <paramref name="file"/>.</summary>
    public static async ValueTask<ClusterAllocator> LoadAsync(BlockNode file, Qcow2Header header, string node)
    {
        var bytes = new byte[(long)header.RefcountTableClusters << header.ClusterBits];
        if (header.RefcountTableOffset + bytes.Length > file.Length)
        {
            throw Corrupt(node, "its refcount table reaches past the end of its file");
        }
        await file.ReadAsync(header.RefcountTableOffset, bytes);
        var table = new List<long>(bytes.Length / sizeof(long));
        for (var i = 0; i < bytes.Length; i += sizeof(long))
        {
            var offset = (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i)) & ~0x1ffUL);
            if ((offset & (header.ClusterSize - 1)) != 0 || offset < 0 || offset >= file.Length)
            {
                throw Corrupt(node, $"refcount table entry {i / sizeof(long)} points to {offset}, not a cluster of the file");
            }
            table.Add(offset);
        }
        return new ClusterAllocator(node, header, table, file.Length);
    }

    /// <summary>Takes <paramref name="clusters"/> contiguous clusters at the end of the file, growing it to hold them.</summary>
    public async ValueTask<long> ReserveAsync(BlockNode file, int clusters)
    {
        var offset = _end;
        _end += (long)clusters << _clusterBits;
        if (file.Length < _end)
        {
            await file.TruncateAsync(_end);
        }
        return offset;
    }

    /// <summary>
    /// Sets the refcounts of reserved clusters to 1 and writes them: refcount blocks first, then
    /// the table entries of new blocks (moving the table to a larger place when it is full).
    /// </summary>
    public async ValueTask CommitAsync(BlockNode file, long offset, int clusters)
    {
        for (var i = 0; i < clusters; i++)
        {
            await ChangeAsync(file, offset + ((long)i << _clusterBits), +1);
        }
        if (_table.Count > TableCapacity)
        {
            await MoveTableAsync(file);
        }
        else
        {
            await WriteDirtyBlocksAsync(file);
            await WriteDirtyTableEntriesAsync(file);
        }
    }

    private async ValueTask ChangeAsync(BlockNode file, long hostOffset, int delta)
    {
        var cluster = hostOffset >> _clusterBits;
        var blockIndex = cluster / _entriesPerBlock;
        var entry = (int)(cluster % _entriesPerBlock);
        var block = await BlockAsync(file, blockIndex);
        var at = block.AsSpan(entry * RefcountBytes, RefcountBytes);
        var old = BinaryPrimitives.ReadUInt16BigEndian(at);
        // Fresh clusters lie past the file's old end, where no refcount may be set yet.
        if ((delta > 0 && old != 0) || (delta < 0 && old == 0))
        {
            throw Corrupt(_node, $"the cluster at {hostOffset} has refcount {old} where {(delta > 0 ? "0" : "1 or more")} was expected (repair with 'qemu-img check -r all')");
        }
        BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)(old + delta));
        MarkDirty(blockIndex, entry, entry);
    }

    /// <summary>The refcount block <paramref name="index"/>, read once, or made when the table has none there yet.</summary>
    private async ValueTask<byte[]> BlockAsync(BlockNode file, long index)
    {
        if (_blocks.TryGetValue(index, out var cached))
        {
            return cached;
        }
        var block = new byte[ClusterSize];
        if (index < _table.Count && _table[(int)index] != 0)
        {
            await file.ReadAsync(_table[(int)index], block);
            _blocks[index] = block;
            return block;
        }
        // A new block is appended like any cluster; its own refcount lives in it when it covers
        // itself, else in another block (made the same way: the recursion ends because each step
        // takes one cluster and one block covers thousands).
        var offset = await ReserveAsync(file, 1);
        _blocks[index] = block;
        while (_table.Count <= index)
        {
            _table.Add(0);
        }
        _table[(int)index] = offset;
        _firstDirtyEntry = Math.Min(_firstDirtyEntry, (int)index);
        _lastDirtyEntry = Math.Max(_lastDirtyEntry, (int)index);
        MarkDirty(index, 0, _entriesPerBlock - 1);
        await ChangeAsync(file, offset, +1);
        return block;
    }

    private void MarkDirty(long block, int first, int last) =>
        _dirtyBlocks[block] = _dirtyBlocks.TryGetValue(block, out var dirty)
            ? (Math.Min(dirty.First, first), Math.Max(dirty.Last, last))
            : (first, last);

    private async ValueTask WriteDirtyBlocksAsync(BlockNode file)
    {
        foreach (var (index, (first, last)) in _dirtyBlocks)
        {
            var bytes = _blocks[index].AsMemory(first * RefcountBytes, (last - first + 1) * RefcountBytes);
            await file.WriteAsync(_table[(int)index] + (first * RefcountBytes), bytes, fua: false);
        }
        _dirtyBlocks.Clear();
    }

    private async ValueTask WriteDirtyTableEntriesAsync(BlockNode file)
    {
        if (_lastDirtyEntry < 0)
        {
            return;
        }
        var bytes = TableBytes(_firstDirtyEntry, _lastDirtyEntry - _firstDirtyEntry + 1);
        await file.WriteAsync(_tableOffset + (_firstDirtyEntry * sizeof(long)), bytes, fua: false);
        _firstDirtyEntry = int.MaxValue;
        _lastDirtyEntry = -1;
    }

    /// <summary>
    /// Moves a full refcount table to twice its size at the end of the file. Each step leaves the
    /// image consistent: the new table and the refcounts of its clusters are written before the
    /// header points to it, and the old table's clusters are freed only after.
    /// </summary>
    private async ValueTask MoveTableAsync(BlockNode file)
    {
        var clusters = Math.Max(_tableClusters * 2, (int)(((long)_table.Count * sizeof(long) * 2) >> _clusterBits) + 1);
        var offset = await ReserveAsync(file, clusters);
        for (var i = 0; i < clusters; i++)
        {
            await ChangeAsync(file, offset + ((long)i << _clusterBits), +1);
        }
        if (((long)_table.Count * sizeof(long)) > ((long)clusters << _clusterBits))
        {
            throw new InvalidOperationException($"Node '{_node}': the moved refcount table of {clusters} clusters cannot hold its {_table.Count} entries.");
        }
        await WriteDirtyBlocksAsync(file);
        var table = new byte[(long)clusters << _clusterBits];
        TableBytes(0, _table.Count).CopyTo(table, 0);
        await file.WriteAsync(offset, table, fua: false);

        var header = new byte[sizeof(long) + sizeof(int)];
        BinaryPrimitives.WriteInt64BigEndian(header, offset);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(sizeof(long)), clusters);
        await file.WriteAsync(Qcow2Header.RefcountTableOffsetField, header, fua: false);

        var (oldOffset, oldClusters) = (_tableOffset, _tableClusters);
        (_tableOffset, _tableClusters) = (offset, clusters);
        _firstDirtyEntry = int.MaxValue;
        _lastDirtyEntry = -1;
        for (var i = 0; i < oldClusters; i++)
        {
            await ChangeAsync(file, oldOffset + ((long)i << _clusterBits), -1);
        }
        await WriteDirtyBlocksAsync(file);
    }

    private byte[] TableBytes(int first, int count)
    {
        var bytes = new byte[count * sizeof(long)];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(i * sizeof(long)), _table[first + i]);
        }
        return bytes;
    }

    private static BlockIOException Corrupt(string node, string why) =>
        new(Errno.EIO, $"Node '{node}': qcow2 metadata is inconsistent: {why}");
}
