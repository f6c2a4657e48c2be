using Nodes.Drivers;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Qcow2;

/// <summary>
/// The copy-on-read filter over a qcow2 overlay: what is read through it is copied from the
/// base into the overlay, so the overlay no longer needs the base for it.
///
///   cor (copy-on-read) ─file→ ov (qcow2: ov.qcow2) ─backing→ base (raw: base.raw)
/// </summary>
public sealed class CopyOnReadTests : NodesTestKit, IDisposable
{
    private const int Size = 1 << 20;
    private const int Cluster = 64 * 1024;

    private readonly Qcow2Harness _h;

    public CopyOnReadTests(ITestOutputHelper output)
        : base(output: output) => _h = new Qcow2Harness(this);

    void IDisposable.Dispose()
    {
        Dispose();
        _h.Dispose();
    }

    [QemuFact]
    public async Task A_read_through_the_filter_copies_the_range_into_the_overlay_which_then_serves_it_alone()
    {
        await OpenChainAsync();

        var read = await _h.ReadAsync("cor", (2 * Cluster) + 100, Cluster);
        Assert.All(read, b => Assert.Equal(0x5a, b));
        Assert.Equal(BlockStatus.Stored(2 * Cluster), await _h.StatusAsync("ov", 2 * Cluster, 4 * Cluster));
        Assert.False((await _h.StatusAsync("ov", 4 * Cluster, Cluster)).Allocated);
        await _h.CloseAllAsync();

        // qemu-img sees the two clusters the read touched in the overlay itself (depth 0), the rest in the base.
        var map = await QemuImg.MapAsync(_h.PathOf("ov.qcow2"));
        Assert.Contains(map, e => e.Covers(2 * Cluster, 2 * Cluster) && e.Depth == 0 && e.Data);
        Assert.Contains(map, e => e.Covers(0, 2 * Cluster) && e.Depth == 1);
        Assert.Contains(map, e => e.Covers(4 * Cluster, Size - (4 * Cluster)) && e.Depth == 1);
        await QemuImg.AssertConsistentAsync(_h.PathOf("ov.qcow2"));

        // Without its base the overlay still holds the copied clusters.
        await _h.OpenQcow2Async("alone", "ov.qcow2");
        Assert.All(await _h.ReadAsync("alone", 2 * Cluster, 2 * Cluster), b => Assert.Equal(0x5a, b));
        Assert.All(await _h.ReadAsync("alone", 0, 2 * Cluster), b => Assert.Equal(0, b));
    }

    [QemuFact]
    public async Task Changing_the_base_after_a_copy_changes_only_what_was_not_copied()
    {
        await OpenChainAsync();
        await _h.ReadAsync("cor", 0, Cluster);
        await _h.CloseAllAsync();
        await QemuImg.IoCheckedAsync("raw", _h.PathOf("base.raw"), $"write -P 0x99 0 {Size}");

        await QemuImg.IoCheckedAsync("qcow2", _h.PathOf("ov.qcow2"), $"read -P 0x5a 0 {Cluster}", $"read -P 0x99 {Cluster} {Size - Cluster}");
    }

    [QemuFact]
    public async Task Ranges_the_overlay_already_holds_are_not_copied_again()
    {
        await OpenChainAsync();
        await _h.WriteAsync("cor", 0, Qcow2DriverTests.Filled(Cluster, 0x77));

        var read = await _h.ReadAsync("cor", 0, 3 * Cluster);
        Assert.All(read[..Cluster], b => Assert.Equal(0x77, b));
        Assert.All(read[Cluster..], b => Assert.Equal(0x5a, b));
        Assert.Equal(2 * Cluster, ((CopyOnReadNode)_h.Nodes.Runtime.Find("cor")!).CopiedBytes);

        await _h.ReadAsync("cor", 0, 3 * Cluster);
        Assert.Equal(2 * Cluster, ((CopyOnReadNode)_h.Nodes.Runtime.Find("cor")!).CopiedBytes);
    }

    [QemuFact]
    public async Task Writes_and_reads_racing_through_the_filter_leave_the_written_data()
    {
        await OpenChainAsync();
        var expected = Qcow2DriverTests.Filled(Size, 0x5a);
        var requests = new List<Task>();
        for (var i = 0; i < 16; i++)
        {
            var offset = i * Cluster / 2;
            var data = Qcow2DriverTests.Filled(1000, (byte)(i + 1));
            data.CopyTo(expected, offset + 10);
            requests.Add(_h.ReadAsync("cor", offset, Cluster));
            requests.Add(_h.WriteAsync("cor", offset + 10, data));
        }
        await Task.WhenAll(requests);

        Assert.Equal(expected, await _h.ReadAsync("cor", 0, Size));
        await _h.CloseAndVerifyAsync("ov.qcow2", expected);
    }

    private async Task OpenChainAsync()
    {
        await _h.CreateBaseAsync("base.raw", Size, 0x5a);
        await _h.CreateQcow2Async("ov.qcow2", Size, "base.raw");
        await _h.OpenRawAsync("base", "base.raw");
        await _h.OpenQcow2Async("ov", "ov.qcow2", backing: "base");
        await _h.AddAsync("cor", "copy-on-read", ("file", "ov"));
    }
}
