using Nodes.Commands;
using Nodes.Disk;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>Nodes over real image files: QEMU-compatible locks through the graph, and the seed's reopen problem.</summary>
public sealed class ImageScenarios(ITestOutputHelper output) : NodesTestKit(output), IDisposable
{
    private readonly TempDataDir _dir = new();

    void IDisposable.Dispose()
    {
        Dispose();
        _dir.Dispose();
    }

    /// <summary>  disk0 (raw) ─file→ file0 (file: disk.img)  </summary>
    [QemuFact]
    public async Task While_a_file_node_is_in_the_graph_qemu_io_cannot_write_its_image_and_can_after_it_is_deleted()
    {
        var disk = new DiskBackend(_dir.DataDir);
        disk.Create("disk.img", 1 << 20);
        var h = new NodeHarness(this, disk: disk);
        await h.Add("file0", "file", "filename=disk.img");
        await h.Add("disk0", "raw", children: ("file", "file0"));

        var refused = await QemuIo.RunAsync("-f", "raw", "-c", "write 0 4k", _dir.PathOf("disk.img"));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("lock", refused.Stderr);

        await h.Run(new DeleteNode("disk0"));
        await h.Run(new DeleteNode("file0"));
        AwaitCondition(() => !disk.IsOpen("disk.img"), NodeHarness.Timeout, NodeHarness.Poll);
        var accepted = await QemuIo.RunAsync("-f", "raw", "-c", "write -P 0x5a 0 4k", _dir.PathOf("disk.img"));
        Assert.Equal(0, accepted.ExitCode);
    }

    [QemuFact]
    public async Task Adding_a_file_node_on_an_image_qemu_io_holds_for_writing_is_refused_clearly()
    {
        var disk = new DiskBackend(_dir.DataDir);
        disk.Create("disk.img", 1 << 20);
        await using var qemu = await QemuIoSession.StartAsync("-f", "raw", _dir.PathOf("disk.img"));
        var h = new NodeHarness(this, disk: disk);

        var refused = await Assert.ThrowsAsync<ImageLockedException>(() => h.Add("file0", "file", "filename=disk.img"));
        Assert.Contains("disk.img", refused.Message);
        Assert.Null(h.Snapshot().Find("file0"));
    }

    /// <summary>
    /// The seed's image-locking problem: delete a node and at once add a node on the same image.
    /// The delete's deferred close runs before any queued write, so the add finds the image
    /// closed and opens it: it never opens the image twice.
    /// </summary>
    [Fact]
    public async Task Deleting_a_file_node_and_at_once_adding_one_on_the_same_image_reopens_it_after_the_close()
    {
        var disk = new DiskBackend(_dir.DataDir);
        disk.Create("disk.img", 1 << 20);
        var h = new NodeHarness(this, disk: disk);
        await h.Add("file0", "file", "filename=disk.img");
        await h.Write("file0", 0, [42]);

        var delete = h.Run(new DeleteNode("file0"));
        var add = h.Add("file1", "file", "filename=disk.img");
        await delete;
        await add;

        var back = new byte[1];
        await h.Read("file1", 0, back);
        Assert.Equal(42, back[0]);
        Assert.Null(h.Snapshot().Find("file0"));
    }

    [Fact]
    public async Task An_image_name_that_escapes_the_data_dir_is_refused_and_changes_nothing()
    {
        var disk = new DiskBackend(_dir.DataDir);
        var h = new NodeHarness(this, disk: disk);
        await Assert.ThrowsAsync<ImagePathException>(() => h.Add("file0", "file", "filename=../outside/x.img"));
        Assert.Empty(h.Snapshot().Nodes);
    }

    /// <summary>
    ///   disk0 (raw) ─file→ file0 (file: disk.img, 16 MiB written, not yet synced)
    /// A front end's flush waits for the disk outside the graph, so both nodes can be deleted
    /// while its fdatasync runs: file0's close waits for it, and the flush succeeds.
    /// </summary>
    [Fact]
    public async Task A_file_node_deleted_while_a_front_ends_flush_waits_for_the_disk_closes_after_the_flush()
    {
        var disk = new DiskBackend(_dir.DataDir);
        disk.Create("disk.img", 16 << 20);
        var h = new NodeHarness(this, disk: disk);
        await h.Add("file0", "file", "filename=disk.img");
        await h.Add("disk0", "raw", children: ("file", "file0"));
        var block = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251)).ToArray();
        for (var offset = 0; offset < 16 << 20; offset += block.Length)
        {
            await h.Write("disk0", offset, block);
        }

        var flush = h.Request("disk0", async n =>
        {
            await n.FlushForFrontEndAsync();
            return true;
        });
        await h.Run(new DeleteNode("disk0"));
        await h.Run(new DeleteNode("file0"));

        Assert.True(await flush.WaitAsync(NodeHarness.Timeout));
        AwaitCondition(() => !disk.IsOpen("disk.img"), NodeHarness.Timeout, NodeHarness.Poll);
        Assert.Equal(0, h.Monitor.Violations);
    }
}
