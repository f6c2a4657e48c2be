using System.Text.Json.Nodes;
using Host.Tests.Nbd;
using Nodes.Drivers;
using TestTools;
using static Host.Tests.NbdDriver.NbdDriverRig;

namespace Host.Tests.NbdDriver;

/// <summary>
/// The <c>nbd</c> node when its server goes away (qemu-storage-daemon killed with SIGKILL) and
/// comes back on the same socket: QEMU's <c>reconnect-delay</c>. Every wait is on an outcome
/// (a request completing or failing), bounded; none on time.
/// </summary>
public sealed class NbdReconnectTests
{
    private const int Block = 64 << 10;

    /// <summary>
    /// Writers keep writing blocks through a raw node over the nbd node; the server is killed
    /// after the first blocks and started again once requests wait for it. Every write completes,
    /// none fails, and the image holds every block.
    ///   disk (raw) ─file→ base (nbd, reconnect-delay=300) ══NBD══▶ qemu-storage-daemon
    /// </summary>
    [NbdClientFact("qemu-storage-daemon", "qemu-img")]
    public async Task IO_through_a_server_killed_and_started_again_within_reconnect_delay_resumes_and_loses_nothing()
    {
        await using var rig = await StartAsync(writableBase: true);
        await rig.AddNbdNodeAsync("base", new JsonObject { ["reconnect-delay"] = 300 });
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "raw", ["node-name"] = "disk", ["file"] = "base" });
        const int writers = 4, blocksPerWriter = 16;
        var written = 0;
        var firstBlocks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var io = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < blocksPerWriter; i++)
            {
                var block = w * blocksPerWriter + i;
                await rig.RunAsync("disk", n => n.WriteAsync((long)block * Block, Pattern(block), fua: false));
                if (Interlocked.Increment(ref written) == writers)
                {
                    firstBlocks.SetResult();
                }
            }
        })).ToList();

        await firstBlocks.Task.WaitAsync(ExternalTool.Timeout);
        rig.Daemon.Kill();
        // Requests issued now find no server: they wait for the reconnect.
        var duringOutage = rig.RunAsync("disk", n => n.WriteAsync(BaseSize - Block, Pattern(99), fua: true));
        Assert.False(duringOutage.IsCompleted);
        await rig.Daemon.StartAgainAsync();
        await Task.WhenAll([.. io, duringOutage]).WaitAsync(ExternalTool.Timeout);

        var expected = File.ReadAllBytes(rig.BaseImage);
        for (var block = 0; block < writers * blocksPerWriter; block++)
        {
            Assert.True(expected.AsSpan(block * Block, Block).SequenceEqual(Pattern(block)), $"block {block} lost");
        }
        Assert.True(expected.AsSpan((int)(BaseSize - Block)).SequenceEqual(Pattern(99)), "the write issued during the outage was lost");
        var readBack = new byte[Block];
        await rig.RunAsync("disk", n => n.ReadAsync(5 * Block, readBack));
        Assert.Equal(Pattern(5), readBack);
    }

    /// <summary>With the server gone past reconnect-delay, the waiting request fails with EIO, and so do later ones (at once); the host serves on.</summary>
    [NbdClientFact("qemu-storage-daemon", "qemu-io")]
    public async Task Requests_fail_with_EIO_once_the_server_stays_away_past_reconnect_delay_and_the_host_serves_on()
    {
        await using var rig = await StartAsync(writableBase: true);
        await rig.AddNbdNodeAsync("base", new JsonObject { ["reconnect-delay"] = 1 });
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "raw", ["node-name"] = "disk", ["file"] = "base" });
        await rig.Qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "other" });
        var disk = await rig.ExportAsync("disk");
        var other = await rig.ExportAsync("other");

        rig.Daemon.Kill();
        var waited = await Assert.ThrowsAsync<BlockIOException>(() => rig.RunAsync("disk", n => n.ReadAsync(0, new byte[4096])));
        var later = await Assert.ThrowsAsync<BlockIOException>(() => rig.RunAsync("disk", n => n.WriteAsync(0, new byte[4096], fua: false)));
        var overOurExport = await ExternalTool.RunAsync("qemu-io", ["-f", "raw", "-c", "read 0 4k", disk]);

        Assert.Equal(Errno.EIO, waited.Errno);
        Assert.Equal(Errno.EIO, later.Errno);
        Assert.StartsWith($"Node 'base': no connection to NBD export 'base' on {rig.Daemon.SocketPath}: ", waited.Message);
        Assert.Contains("read failed: Input/output error", overOurExport.Stdout + overOurExport.Stderr);
        await Tool("qemu-io", "-f", "raw", "-c", "read 0 4k", other);
        Assert.NotNull(await rig.Qmp.ReturnOfAsync("query-named-block-nodes"));
    }

    /// <summary>
    /// reconnect-delay=0, QEMU's default: a request without a server fails at once, but the node
    /// reconnects in the background, so requests after the server is back succeed.
    /// </summary>
    [NbdClientFact("qemu-storage-daemon")]
    public async Task Without_reconnect_delay_requests_fail_at_once_and_succeed_again_after_the_background_reconnect()
    {
        await using var rig = await StartAsync(writableBase: true);
        await rig.AddNbdNodeAsync("base");

        rig.Daemon.Kill();
        var failed = await Assert.ThrowsAsync<BlockIOException>(() => rig.RunAsync("base", n => n.ReadAsync(0, new byte[4096])));
        await rig.Daemon.StartAgainAsync();
        var read = new byte[4096];
        await EventuallyAsync(() => rig.RunAsync("base", n => n.ReadAsync(0, read)));

        Assert.Equal(Errno.EIO, failed.Errno);
        Assert.All(read, b => Assert.Equal(0x11, b));
    }

    /// <summary>Retries <paramref name="request"/> while it fails with EIO (the reconnect is not there yet), bounded.</summary>
    private static async Task EventuallyAsync(Func<Task> request)
    {
        using var bound = new CancellationTokenSource(ExternalTool.Timeout);
        while (true)
        {
            try
            {
                await request();
                return;
            }
            catch (BlockIOException e) when (e.Errno == Errno.EIO && !bound.IsCancellationRequested)
            {
                await Task.Delay(100, bound.Token);
            }
        }
    }

    private static byte[] Pattern(int block)
    {
        var data = new byte[Block];
        Array.Fill(data, (byte)(block * 7 + 1));
        return data;
    }
}
