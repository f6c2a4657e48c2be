using System.Text.Json.Nodes;
using Host.Tests.Cli;
using Host.Tests.Nbd;
using Host.Tests.Qmp;
using static Host.Tests.NbdDriver.NbdDriverRig;

namespace Host.Tests.NbdDriver;

/// <summary>The data plane between hosts (DESIGN §9): one host's <c>nbd</c> node on an export of another host process.</summary>
public sealed class NbdBetweenHostsTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("nbd-between-hosts-");

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>
    ///   this host:   export 'disk' ─→ disk (raw) ─file→ remote (nbd, reconnect-delay=300)
    ///                                                        ══NBD══▶ host process B: export 'disk' ─→ f0 (file: disk.raw)
    /// B is killed with SIGKILL and started again on the same data dir and socket; the write
    /// issued meanwhile completes once it is back, and both exports then read the same.
    /// </summary>
    [NbdClientFact("qemu-io", "qemu-img")]
    public async Task A_host_reads_and_writes_an_export_of_another_host_process_through_its_kill_and_restart()
    {
        var image = Path.Combine(_root.FullName, "disk.raw");
        var socket = Path.Combine(_root.FullName, "b.sock");
        await Tool("qemu-img", "create", "-f", "raw", image, BaseSize.ToString());
        string[] hostB =
        [
            "--data-dir", Path.Combine(_root.FullName, "b-data"),
            "--blockdev", $"driver=file,node-name=f0,filename={image}",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=e0,node-name=f0,name=disk,writable=on",
        ];
        var b = await HostExecutable.StartAsync(_root.FullName, hostB);
        try
        {
            await using var a = await QmpFixture.StartWithNbdServerAsync();
            await using var qmp = await a.ConnectAsync();
            var ourSocket = Path.Combine(a.Host.DataDir, "nbd.sock");
            await qmp.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = ourSocket } });
            await qmp.ReturnOfAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "nbd",
                ["node-name"] = "remote",
                ["server"] = new JsonObject { ["type"] = "unix", ["path"] = socket },
                ["export"] = "disk",
                ["reconnect-delay"] = 300,
            });
            await qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "raw", ["node-name"] = "disk", ["file"] = "remote" });
            await qmp.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e0", ["node-name"] = "disk", ["writable"] = true });
            var ours = $"nbd+unix:///disk?socket={ourSocket}";
            var theirs = $"nbd+unix:///disk?socket={socket}";

            var io = await Tool("qemu-io", "-f", "raw", "-c", "write -P 0x22 0 1M", "-c", "read -P 0x22 0 1M", ours);
            b.KillAbruptly();
            await b.DisposeAsync();
            var duringOutage = a.Host.Host.Runtime.RunRequestAsync("disk", async n =>
            {
                await n.WriteAsync(2 * MiB, Enumerable.Repeat((byte)0x33, 64 << 10).ToArray(), fua: true);
                return true;
            }).AsTask();
            Assert.False(duringOutage.IsCompleted);
            b = await HostExecutable.StartAsync(_root.FullName, hostB);
            await duringOutage.WaitAsync(TestTools.ExternalTool.Timeout);

            Assert.DoesNotContain("Pattern verification failed", io.Stdout + io.Stderr);
            await Tool("qemu-io", "-f", "raw", "-c", "read -P 0x22 0 1M", "-c", "read -P 0x33 2M 64k", theirs);
            await Tool("qemu-img", "compare", "-f", "raw", "-F", "raw", ours, theirs);
            await a.Host.Host.Runtime.CloseNodeAsync("remote");
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    /// <summary>
    /// A write is in flight on the exporting host (a blkdebug node there holds it) when that host
    /// is killed. It got no reply, so it is not acknowledged: once a host serves the export again
    /// on the same socket, the write is sent again and completes, and the image holds it.
    ///   this host: remote (nbd, reconnect-delay=300) ══NBD══▶ B: export 'disk' ─→ slow (blkdebug, delay 600 s) ─file→ f0 (disk.raw)
    ///   then:                                        ══NBD══▶ B': export 'disk' ─→ f0 (disk.raw)
    /// </summary>
    [NbdClientFact("qemu-img")]
    public async Task A_write_in_flight_when_the_exporting_host_dies_is_sent_again_to_its_successor()
    {
        var image = Path.Combine(_root.FullName, "disk.raw");
        var socket = Path.Combine(_root.FullName, "b.sock");
        var monitor = Path.Combine(_root.FullName, "b-qmp.sock");
        await Tool("qemu-img", "create", "-f", "raw", image, BaseSize.ToString());
        var b = await HostExecutable.StartAsync(_root.FullName,
            "--data-dir", Path.Combine(_root.FullName, "b-data"),
            "--blockdev", $"driver=file,node-name=f0,filename={image}",
            "--blockdev", "driver=blkdebug,node-name=slow,file=f0,delay-us=600000000",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=e0,node-name=slow,name=disk,writable=on",
            "--chardev", $"socket,id=mon0,path={monitor},server=on,wait=off", "--monitor", "chardev=mon0");
        try
        {
            await using var a = await QmpFixture.StartAsync();
            await using var qmp = await a.ConnectAsync();
            await qmp.ReturnOfAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "nbd",
                ["node-name"] = "remote",
                ["server"] = new JsonObject { ["type"] = "unix", ["path"] = socket },
                ["export"] = "disk",
                ["reconnect-delay"] = 300,
            });
            var data = Enumerable.Repeat((byte)0x5a, 64 << 10).ToArray();

            var write = a.Host.Host.Runtime.RunRequestAsync("remote", async n =>
            {
                await n.WriteAsync(MiB, data, fua: false);
                return true;
            }).AsTask();
            await using (var bQmp = await QmpTestClient.ConnectNegotiatedAsync(monitor))
            {
                await WaitUntilAsync(async () => (await bQmp.ReturnOfAsync("x-query-graph-lock"))["contexts"]!.AsArray().Sum(c => (int)c!["readers"]!) > 0);
            }
            b.KillAbruptly();
            await b.DisposeAsync();
            Assert.False(write.IsCompleted);
            b = await HostExecutable.StartAsync(_root.FullName,
                "--data-dir", Path.Combine(_root.FullName, "b2-data"),
                "--blockdev", $"driver=file,node-name=f0,filename={image}",
                "--nbd-server", $"addr.type=unix,addr.path={socket}",
                "--export", "type=nbd,id=e0,node-name=f0,name=disk,writable=on");
            await write.WaitAsync(TestTools.ExternalTool.Timeout);
            await a.Host.Host.Runtime.CloseNodeAsync("remote");

            Assert.True(File.ReadAllBytes(image).AsSpan(MiB, data.Length).SequenceEqual(data), "the write in flight at the kill is not in the image");
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, bounded.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var bound = new CancellationTokenSource(TestTools.ExternalTool.Timeout);
        while (!await condition())
        {
            await Task.Delay(50, bound.Token);
        }
    }
}
