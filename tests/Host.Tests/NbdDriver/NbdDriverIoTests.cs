using System.Text.Json.Nodes;
using Host.Tests.Nbd;
using static Host.Tests.NbdDriver.NbdDriverRig;

namespace Host.Tests.NbdDriver;

/// <summary>
/// The <c>nbd</c> driver against qemu-storage-daemon: a node over an export of another server,
/// below raw and below a qcow2 overlay, checked with qemu-io and qemu-img through our own export.
/// </summary>
public sealed class NbdDriverIoTests
{
    /// <summary>  export 'disk' ─→ disk (raw) ─file→ base (nbd) ══NBD══▶ qemu-storage-daemon: base.raw  </summary>
    [NbdClientFact("qemu-storage-daemon", "qemu-io", "qemu-img")]
    public async Task Raw_over_nbd_reads_and_writes_the_image_qemu_storage_daemon_exports()
    {
        await using var rig = await StartAsync(writableBase: true);
        await rig.AddNbdNodeAsync("base");
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "raw", ["node-name"] = "disk", ["file"] = "base" });
        var disk = await rig.ExportAsync("disk");

        var io = await Tool("qemu-io", "-f", "raw",
            "-c", "read -P 0x11 0 1M", "-c", "write -P 0x22 1M 1M", "-c", "write -z 3M 64k", "-c", "discard 4M 64k", "-c", "flush",
            "-c", "read -P 0x22 1M 1M", "-c", "read -P 0 3M 64k", disk);
        var info = await Tool("qemu-img", "info", "--output=json", disk);

        Assert.DoesNotContain("Pattern verification failed", io.Stdout + io.Stderr);
        Assert.Contains($"\"virtual-size\": {BaseSize}", info.Stdout);
        await Tool("qemu-img", "compare", "-f", "raw", "-F", "raw", disk, rig.Daemon.Uri);
        await Tool("qemu-io", "-f", "raw", "-r", "-U", "-c", "read -P 0x22 1M 1M", "-c", "read -P 0 3M 64k", rig.BaseImage);
    }

    /// <summary>
    ///   export 'top' ─→ top (qcow2) ─file→ top-file (file: top.qcow2)
    ///                          └─backing→ base (nbd, read-only) ══NBD══▶ qemu-storage-daemon: base.raw (read-only export)
    /// </summary>
    [NbdClientFact("qemu-storage-daemon", "qemu-io", "qemu-img")]
    public async Task A_qcow2_overlay_over_an_nbd_base_takes_the_writes_and_reads_the_rest_from_the_base()
    {
        await using var rig = await StartAsync(writableBase: false);
        await Tool("qemu-img", "create", "-f", "qcow2", "-b", rig.BaseImage, "-F", "raw", Path.Combine(rig.Host.Host.ImagesDir, "top.qcow2"));
        await rig.AddNbdNodeAsync("base", new JsonObject { ["read-only"] = true });
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "file", ["node-name"] = "top-file", ["filename"] = "top.qcow2" });
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "qcow2", ["node-name"] = "top", ["file"] = "top-file", ["backing"] = "base" });
        var top = await rig.ExportAsync("top");
        // What the overlay must read as: the base with the same writes.
        var expected = Path.Combine(rig.Dir, "expected.raw");
        File.Copy(rig.BaseImage, expected);
        string[] writes = ["write -P 0x22 1M 1M", "write -P 0x33 5M 4k", "write -P 0x44 7M 100k"];
        await Tool("qemu-io", ["-f", "raw", .. writes.SelectMany(w => new[] { "-c", w }), expected]);

        var io = await Tool("qemu-io", ["-f", "raw", .. writes.SelectMany(w => new[] { "-c", w }), "-c", "read -P 0x11 0 1M", "-c", "read -P 0x22 1M 1M", "-c", "read -P 0x11 6M 1M", top]);

        Assert.DoesNotContain("Pattern verification failed", io.Stdout + io.Stderr);
        await Tool("qemu-img", "compare", "-f", "raw", "-F", "raw", expected, top);
        // The overlay file holds the writes (its header names base.raw as its backing file), and the base is untouched.
        await Tool("qemu-img", "compare", "-U", "-f", "qcow2", "-F", "raw", Path.Combine(rig.Host.Host.ImagesDir, "top.qcow2"), expected);
        await Tool("qemu-io", "-f", "raw", "-r", "-U", "-c", $"read -P 0x11 0 {BaseSize}", rig.BaseImage);
    }
}
