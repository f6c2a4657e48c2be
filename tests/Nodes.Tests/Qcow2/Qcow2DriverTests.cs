using Nodes.Drivers;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Qcow2;

/// <summary>
/// The qcow2 driver against QEMU's own tools: images qemu-img made read through it, and what
/// it writes is read back, checked and compared by qemu-img and qemu-io.
///
///   ov (qcow2) ─file→ ov-file (file: ov.qcow2)
///        └─backing→ base (raw) ─file→ base-file (file: base.raw, read-only)
/// </summary>
public sealed class Qcow2DriverTests : NodesTestKit, IDisposable
{
    private const int Size = 1 << 20;
    private const int Cluster = 64 * 1024;
    private const byte BasePattern = 0x5a;

    private readonly Qcow2Harness _h;

    public Qcow2DriverTests(ITestOutputHelper output)
        : base(output: output) => _h = new Qcow2Harness(this);

    void IDisposable.Dispose()
    {
        Dispose();
        _h.Dispose();
    }

    [QemuFact]
    public async Task An_empty_overlay_reads_its_base_and_reports_nothing_allocated()
    {
        await OpenChainAsync();

        Assert.All(await _h.ReadAsync("ov", 0, Size), b => Assert.Equal(BasePattern, b));
        Assert.Equal(new BlockStatus(Size / 2, Data: false, Zero: false, Allocated: false), await _h.StatusAsync("ov", Size / 2, Size));
        Assert.Equal(Size, _h.Nodes.Runtime.Find("ov")!.Length);
    }

    /// <summary>
    /// ov is twice as long as base: past base's end ov's unallocated clusters read as zeroes that
    /// count as base's (QEMU's allocation depth 2), not as data.
    /// </summary>
    [QemuFact]
    public async Task The_chain_status_names_the_layer_that_holds_each_extent()
    {
        await _h.CreateBaseAsync("base.raw", Size, BasePattern);
        await _h.CreateQcow2Async("ov.qcow2", 2 * Size, "base.raw");
        await OpenAsync();
        await _h.WriteAsync("ov", 0, Filled(Cluster, 0xa5));

        var inOverlay = await ChainStatusAsync(0, 2 * Size);
        var inBase = await ChainStatusAsync(Cluster, 2 * Size);
        var pastBase = await ChainStatusAsync(Size, Size);

        Assert.Equal(new ChainStatus(Cluster, Data: true, Zero: false, Depth: 1), inOverlay);
        Assert.Equal(new ChainStatus(Size - Cluster, Data: true, Zero: false, Depth: 2), inBase);
        Assert.Equal(new ChainStatus(Size, Data: false, Zero: true, Depth: 2), pastBase);
    }

    [QemuFact]
    public async Task Writes_land_in_the_overlay_and_qemu_img_finds_the_image_consistent_and_as_expected()
    {
        await OpenChainAsync();
        var expected = Filled(Size, BasePattern);
        await WriteAsync(expected, Cluster, Filled(2 * Cluster, 0xa5));
        await WriteAsync(expected, 300_000, Filled(5000, 0x17), fua: true);
        await WriteAsync(expected, Cluster + 10, Filled(20, 0x66));

        Assert.Equal(expected, await _h.ReadAsync("ov", 0, Size));
        Assert.True((await _h.StatusAsync("ov", Cluster, Size)).Allocated);
        await _h.CloseAndVerifyAsync("ov.qcow2", expected);

        await QemuImg.IoCheckedAsync("qcow2", _h.PathOf("ov.qcow2"), $"read -P 0xa5 {Cluster + 30} {(2 * Cluster) - 30}", "read -P 0x17 300000 5000");
        await QemuImg.IoCheckedAsync("raw", _h.PathOf("base.raw"), $"read -P 0x{BasePattern:x2} 0 {Size}");
    }

    [QemuFact]
    public async Task A_partial_cluster_write_keeps_the_rest_of_the_cluster_from_the_backing()
    {
        await OpenChainAsync();
        await _h.WriteAsync("ov", Cluster + 4000, Filled(512, 0x11));
        await _h.CloseAllAsync();

        var map = await QemuImg.MapAsync(_h.PathOf("ov.qcow2"));
        Assert.Contains(map, e => e.Covers(Cluster, Cluster) && e.Depth == 0 && e.Data);
        Assert.Contains(map, e => e.Covers(2 * Cluster, Cluster) && e.Depth == 1);
        await QemuImg.IoCheckedAsync("qcow2", _h.PathOf("ov.qcow2"),
            $"read -P 0x5a {Cluster} 4000", $"read -P 0x11 {Cluster + 4000} 512", $"read -P 0x5a {Cluster + 4512} {Cluster - 4512}");
        await QemuImg.AssertConsistentAsync(_h.PathOf("ov.qcow2"));
    }

    [QemuFact]
    public async Task Data_and_zero_clusters_qemu_io_wrote_read_back_through_the_driver()
    {
        await _h.CreateBaseAsync("base.raw", Size, BasePattern);
        await _h.CreateQcow2Async("ov.qcow2", Size, "base.raw");
        await QemuImg.IoCheckedAsync("qcow2", _h.PathOf("ov.qcow2"),
            "write -P 0x33 0 64k", "write -z 128k 64k", "write -P 0x44 200k 4k", "write -P 0x55 512k 128k", "write -z 512k 64k");
        var expected = Filled(Size, BasePattern);
        Fill(expected, 0, 65536, 0x33);
        Fill(expected, 131072, 65536, 0);
        Fill(expected, 204800, 4096, 0x44);
        Fill(expected, 589824, 65536, 0x55);
        Fill(expected, 524288, 65536, 0);
        await OpenAsync();

        Assert.Equal(expected, await _h.ReadAsync("ov", 0, Size));
        Assert.True((await _h.StatusAsync("ov", 131072, Cluster)).Allocated);

        // Writing into the zero clusters (one kept its host cluster) turns them back into data.
        await WriteAsync(expected, 524288 + 100, Filled(100, 0x66));
        await WriteAsync(expected, 131072 + 100, Filled(100, 0x77));
        Assert.Equal(expected, await _h.ReadAsync("ov", 0, Size));
        await _h.CloseAndVerifyAsync("ov.qcow2", expected);
    }

    [QemuFact]
    public async Task Write_zeroes_zeroes_allocated_clusters_and_hides_the_backing_elsewhere()
    {
        await OpenChainAsync();
        var expected = Filled(Size, BasePattern);
        await WriteAsync(expected, 0, Filled(2 * Cluster, 0x21));
        await _h.Nodes.Request("ov", async n =>
        {
            await n.WriteZeroesAsync(Cluster / 2, 3 * Cluster, mayUnmap: false);
            return true;
        });
        Fill(expected, Cluster / 2, 3 * Cluster, 0);

        Assert.Equal(expected, await _h.ReadAsync("ov", 0, Size));
        await _h.CloseAndVerifyAsync("ov.qcow2", expected);
    }

    [QemuFact]
    public async Task An_overlay_without_a_backing_node_reads_unallocated_clusters_as_zeroes()
    {
        await _h.CreateBaseAsync("base.raw", Size, BasePattern);
        await _h.CreateQcow2Async("ov.qcow2", Size, "base.raw");
        await _h.OpenQcow2Async("ov", "ov.qcow2");

        Assert.All(await _h.ReadAsync("ov", 0, Size), b => Assert.Equal(0, b));
        Assert.False((await _h.StatusAsync("ov", 0, Size)).Allocated);
    }

    /// <summary>
    /// With 512-byte clusters one refcount block covers 128 KiB of file and the table qemu-img
    /// made (one cluster, 64 blocks) 8 MiB: filling 16 MiB makes new refcount blocks and moves the table.
    /// </summary>
    [QemuFact]
    public async Task Filling_an_image_of_small_clusters_grows_and_moves_the_refcount_table()
    {
        const int size = 16 << 20;
        await _h.CreateQcow2Async("small.qcow2", size, options: ["-o", "cluster_size=512"]);
        var tableBefore = RefcountTableOffset("small.qcow2");
        await _h.OpenQcow2Async("small", "small.qcow2");
        var expected = new byte[size];
        new Random(7).NextBytes(expected);
        for (var offset = 0; offset < size; offset += 256 * 1024)
        {
            await _h.WriteAsync("small", offset, expected[offset..(offset + (256 * 1024))]);
        }
        Assert.Equal(expected, await _h.ReadAsync("small", 0, size));
        await _h.CloseAndVerifyAsync("small.qcow2", expected);
        Assert.NotEqual(tableBefore, RefcountTableOffset("small.qcow2"));
    }

    /// <summary>
    /// A persistent bitmap this driver does not update: its first write clears the autoclear bit,
    /// so QEMU knows the bitmap is stale (and counts its clusters as leaked, not as corruption).
    /// </summary>
    [QemuFact]
    public async Task The_first_write_clears_the_autoclear_bits_of_bitmaps_the_driver_does_not_keep()
    {
        await _h.CreateQcow2Async("bm.qcow2", Size);
        await QemuImg.RunCheckedAsync("bitmap", "--add", _h.PathOf("bm.qcow2"), "b0");
        Assert.Equal(1, ReadHeaderLong("bm.qcow2", 88));
        await _h.OpenQcow2Async("bm", "bm.qcow2");
        await _h.WriteAsync("bm", 0, Filled(4096, 0x42));
        await _h.CloseAllAsync();

        Assert.Equal(0, ReadHeaderLong("bm.qcow2", 88));
        var read = await QemuIo.RunAsync("-f", "qcow2", "-c", "read -P 0x42 0 4096", _h.PathOf("bm.qcow2"));
        Assert.True(read.ExitCode == 0 && !read.Stdout.Contains("fail") && read.Stderr.Contains("bitmaps are now considered inconsistent"), read.ToString());
        var check = await QemuImg.RunAsync("check", "-f", "qcow2", _h.PathOf("bm.qcow2"));
        Assert.True(check.ExitCode == 3 && check.Stdout.Contains("leaked clusters"), check.ToString());
    }

    private long RefcountTableOffset(string image) => ReadHeaderLong(image, 48);

    private long ReadHeaderLong(string image, int offset)
    {
        var header = new byte[offset + sizeof(long)];
        using (var stream = System.IO.File.OpenRead(_h.PathOf(image)))
        {
            stream.ReadExactly(header);
        }
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(offset));
    }

    private Task<ChainStatus> ChainStatusAsync(long offset, long length) => _h.Nodes.Request("ov", n => n.ChainStatusAsync(offset, length));

    private async Task OpenChainAsync()
    {
        await _h.CreateBaseAsync("base.raw", Size, BasePattern);
        await _h.CreateQcow2Async("ov.qcow2", Size, "base.raw");
        await OpenAsync();
    }

    private async Task OpenAsync()
    {
        await _h.OpenRawAsync("base", "base.raw");
        await _h.OpenQcow2Async("ov", "ov.qcow2", backing: "base");
    }

    private async Task WriteAsync(byte[] expected, int offset, byte[] data, bool fua = false)
    {
        await _h.WriteAsync("ov", offset, data, fua);
        data.CopyTo(expected, offset);
    }

    internal static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static void Fill(byte[] bytes, int offset, int length, byte value) => Array.Fill(bytes, value, offset, length);
}
