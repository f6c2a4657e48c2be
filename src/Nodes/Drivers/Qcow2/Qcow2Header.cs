using System.Buffers.Binary;

namespace Nodes.Drivers.Qcow2;

/// <summary>
/// The fixed part of a qcow2 header (QEMU's docs/interop/qcow2.txt), big-endian on disk, parsed
/// and checked against what this driver supports: version 3, no encryption, no external data
/// file, no extended L2 entries, 16-bit refcounts, and neither the dirty nor the corrupt bit.
/// Header extensions are not needed for that: every feature that changes how the image must be
/// read is an incompatible feature bit or the encryption method.
/// </summary>
public sealed record Qcow2Header
{
    /// <summary>The bytes that must be read to parse the header (the version 3 fields).</summary>
    public const int Version3Length = 104;

    /// <summary>Where <see cref="RefcountTableOffset"/> sits; <see cref="RefcountTableClusters"/> follows 8 bytes later.</summary>
    public const int RefcountTableOffsetField = 48;

    /// <summary>Where <see cref="AutoclearFeatures"/> sits.</summary>
    public const int AutoclearFeaturesField = 88;

    private const uint Magic = 0x514649fb;
    private const ulong DirtyBit = 1;
    private const ulong CorruptBit = 2;
    private const ulong ExternalDataFileBit = 4;
    private const ulong CompressionTypeBit = 8;
    private const ulong ExtendedL2Bit = 16;

    public required int ClusterBits { get; init; }

    /// <summary>The virtual disk's size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Entries in the L1 table.</summary>
    public required int L1Size { get; init; }

    public required long L1TableOffset { get; init; }

    public required long RefcountTableOffset { get; init; }

    public required int RefcountTableClusters { get; init; }

    /// <summary>Internal snapshots; their clusters are shared (refcount above 1) and never written in place.</summary>
    public required int SnapshotCount { get; init; }

    /// <summary>Features a writer that does not know them must clear (bitmaps): this driver clears them on its first write.</summary>
    public required ulong AutoclearFeatures { get; init; }

    public int ClusterSize => 1 << ClusterBits;

    /// <summary>
    /// Parses and validates the header at the start of <paramref name="bytes"/> (at least
    /// <see cref="Version3Length"/> bytes); throws naming <paramref name="node"/>: EINVAL when it
    /// is not a valid qcow2 header, ENOTSUP for a feature this driver does not support.
    /// </summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> bytes, string node, long fileLength)
    {
        if (bytes.Length < Version3Length || BinaryPrimitives.ReadUInt32BigEndian(bytes) != Magic)
        {
            throw Invalid(node, "its file does not start with a qcow2 header");
        }
        var version = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        if (version != 3)
        {
            throw Unsupported(node, $"qcow2 version {version} (only version 3, qemu-img's compat=1.1, is supported)");
        }
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]);
        if (clusterBits is < 9 or > 21)
        {
            throw Invalid(node, $"cluster_bits {clusterBits} is outside 9..21");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(bytes[32..]) is var crypt and not 0)
        {
            throw Unsupported(node, $"encryption (method {crypt})");
        }
        var incompatible = BinaryPrimitives.ReadUInt64BigEndian(bytes[72..]);
        RefuseIncompatible(node, incompatible);
        var refcountOrder = BinaryPrimitives.ReadUInt32BigEndian(bytes[96..]);
        if (refcountOrder != 4)
        {
            throw Unsupported(node, $"{1L << (int)Math.Min(refcountOrder, 62)}-bit refcounts (only 16-bit, refcount_order 4, are supported)");
        }
        var header = new Qcow2Header
        {
            ClusterBits = (int)clusterBits,
            Size = CheckedLong(BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]), node, "size"),
            L1Size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(bytes[36..]), int.MaxValue),
            L1TableOffset = CheckedLong(BinaryPrimitives.ReadUInt64BigEndian(bytes[40..]), node, "l1_table_offset"),
            RefcountTableOffset = CheckedLong(BinaryPrimitives.ReadUInt64BigEndian(bytes[48..]), node, "refcount_table_offset"),
            RefcountTableClusters = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(bytes[56..]), int.MaxValue),
            SnapshotCount = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(bytes[60..]), int.MaxValue),
            AutoclearFeatures = BinaryPrimitives.ReadUInt64BigEndian(bytes[88..]),
        };
        header.Validate(node, fileLength);
        return header;
    }

    private static void RefuseIncompatible(string node, ulong incompatible)
    {
        if ((incompatible & DirtyBit) != 0)
        {
            throw Unsupported(node, "the dirty bit (lazy refcounts were not written back; repair with 'qemu-img check -r all')");
        }
        if ((incompatible & CorruptBit) != 0)
        {
            throw Unsupported(node, "the corrupt bit (QEMU found its metadata inconsistent; repair with 'qemu-img check -r all')");
        }
        if ((incompatible & ExternalDataFileBit) != 0)
        {
            throw Unsupported(node, "an external data file");
        }
        if ((incompatible & ExtendedL2Bit) != 0)
        {
            throw Unsupported(node, "extended L2 entries (subclusters)");
        }
        // The compression type only matters for compressed clusters, which reads refuse one by one.
        if ((incompatible & ~(CompressionTypeBit | DirtyBit | CorruptBit | ExternalDataFileBit | ExtendedL2Bit)) is var unknown and not 0)
        {
            throw Unsupported(node, $"unknown incompatible features 0x{unknown:x}");
        }
    }

    private void Validate(string node, long fileLength)
    {
        var mask = ClusterSize - 1;
        if ((L1TableOffset & mask) != 0 || (RefcountTableOffset & mask) != 0)
        {
            throw Invalid(node, "its L1 or refcount table is not cluster aligned");
        }
        if (RefcountTableOffset == 0 || RefcountTableClusters == 0 || RefcountTableOffset >= fileLength)
        {
            throw Invalid(node, "its refcount table is missing or past the end of its file");
        }
        // One L2 table maps cluster_size / 8 clusters; the L1 table must reach the virtual end.
        var bytesPerL2 = (long)(ClusterSize / 8) << ClusterBits;
        if (L1Size < (Size + bytesPerL2 - 1) / bytesPerL2 || (L1Size > 0 && L1TableOffset == 0))
        {
            throw Invalid(node, $"its L1 table ({L1Size} entries) does not cover its virtual size {Size}");
        }
    }

    private static long CheckedLong(ulong value, string node, string field) =>
        value <= long.MaxValue / 2 ? (long)value : throw Invalid(node, $"{field} {value} is out of range");

    private static BlockIOException Invalid(string node, string why) =>
        new(Errno.EINVAL, $"Node '{node}': not a valid qcow2 image: {why}");

    private static BlockIOException Unsupported(string node, string feature) =>
        new(Errno.ENOTSUP, $"Node '{node}': the qcow2 image uses {feature}, which this driver does not support");
}
