using TestTools;
namespace Host.Tests.Nbd;

/// <summary>The NBD server against the clients users run: qemu-img, qemu-io, nbdinfo, nbdcopy.</summary>
public sealed class NbdRealClientTests
{
    private const int MiB = 1 << 20;

    [NbdClientFact("qemu-io")]
    public async Task Qemu_io_writes_a_pattern_and_reads_it_back()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 4 * MiB);

        var result = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0xab 0 1M", "-c", "read -P 0xab 0 1M", nbd.Uri("disk0"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("read 1048576/1048576 bytes", result.Stdout);
        Assert.DoesNotContain("Pattern verification failed", result.Stdout + result.Stderr);
        var image = await File.ReadAllBytesAsync(nbd.ImagePath("disk0.img"));
        Assert.All(image.AsSpan(0, MiB).ToArray(), b => Assert.Equal(0xab, b));
        Assert.All(image.AsSpan(MiB).ToArray(), b => Assert.Equal(0, b));
    }

    [NbdClientFact("qemu-img")]
    public async Task Qemu_img_info_over_nbd_shows_the_export_size()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 4 * MiB);

        var result = await NbdTools.RunAsync("qemu-img", "info", nbd.Uri("disk0"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(4194304 bytes)", result.Stdout);
    }

    [NbdClientFact("qemu-img")]
    public async Task Qemu_img_info_over_loopback_tcp_shows_the_export_size()
    {
        await using var nbd = await NbdHost.StartAsync(tcp: true);
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        var port = ((System.Net.IPEndPoint)nbd.Server.LocalEndPoint!).Port;

        var result = await NbdTools.RunAsync("qemu-img", "info", $"nbd://127.0.0.1:{port}/disk0");

        Assert.NotEqual(0, port);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(4194304 bytes)", result.Stdout);
    }

    [NbdClientFact("qemu-img")]
    public async Task Qemu_img_convert_into_the_export_gives_an_identical_image()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 8 * MiB);
        var source = await WriteSourceImageAsync(nbd, 8 * MiB);

        var convert = await NbdTools.RunAsync("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", source, nbd.Uri("disk0"));
        var compare = await NbdTools.RunAsync("qemu-img", "compare", "-f", "raw", "-F", "raw", source, nbd.Uri("disk0"));

        Assert.True(convert.ExitCode == 0, convert.ToString());
        Assert.True(compare.ExitCode == 0, compare.ToString());
        Assert.Contains("Images are identical", compare.Stdout);
    }

    [NbdClientFact("nbdinfo")]
    public async Task Nbdinfo_lists_every_export_and_describes_one()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        await nbd.AddFileExportAsync("ro0", 2 * MiB, writable: false);

        var list = await NbdTools.RunAsync("nbdinfo", "--list", $"nbd+unix:///?socket={nbd.SocketPath}");
        var one = await NbdTools.RunAsync("nbdinfo", nbd.Uri("ro0"));

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("export=\"disk0\"", list.Stdout);
        Assert.Contains("export=\"ro0\"", list.Stdout);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("export-size: 2097152", one.Stdout);
        Assert.Contains("is_read_only: true", one.Stdout);
        Assert.Contains("can_multi_conn: true", one.Stdout);
    }

    [NbdClientFact("nbdcopy", "qemu-img")]
    public async Task Nbdcopy_over_four_connections_gives_an_identical_image()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 16 * MiB);
        var source = await WriteSourceImageAsync(nbd, 16 * MiB);

        var copy = await NbdTools.RunAsync("nbdcopy", "-C", "4", "--flush", source, nbd.Uri("disk0"));
        var compare = await NbdTools.RunAsync("qemu-img", "compare", "-f", "raw", "-F", "raw", source, nbd.Uri("disk0"));

        Assert.True(copy.ExitCode == 0, copy.ToString());
        Assert.True(compare.ExitCode == 0, compare.ToString());
    }

    [NbdClientFact("qemu-io")]
    public async Task A_read_only_export_refuses_writes_and_stays_untouched()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("ro0", 2 * MiB, writable: false);

        var result = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0xcd 0 64k", nbd.Uri("ro0"));

        Assert.True(result.ExitCode != 0, result.ToString());
        // qemu sees READ_ONLY in the transmission flags and refuses to open the export for writing.
        Assert.Contains("Permission denied", result.Stderr);
        Assert.DoesNotContain("wrote 65536", result.Stdout);
        Assert.All(await File.ReadAllBytesAsync(nbd.ImagePath("ro0.img")), b => Assert.Equal(0, b));
    }

    [NbdClientFact("qemu-io")]
    public async Task Garbage_closes_that_connection_while_another_client_keeps_working()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        await using var garbage = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await using var garbageAfterGo = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await garbageAfterGo.GoAsync("disk0");

        await garbage.WriteAsync([.. Enumerable.Repeat((byte)0xff, 64)]);
        await garbageAfterGo.WriteAsync([.. Enumerable.Repeat((byte)0x5a, 64)]);
        var result = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 256k", "-c", "read -P 0x11 0 256k", nbd.Uri("disk0"));

        Assert.True(await garbage.IsClosedByServerAsync());
        Assert.True(await garbageAfterGo.IsClosedByServerAsync());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("Pattern verification failed", result.Stdout);
    }

    [NbdClientFact("qemu-io")]
    public async Task A_client_killed_mid_transfer_leaves_the_server_serving_others()
    {
        await using var nbd = await NbdHost.StartAsync();
        await nbd.AddFileExportAsync("disk0", 64 * MiB);
        var commands = Enumerable.Range(0, 2000).SelectMany(i => new[] { "-c", $"aio_write -P 0x22 {i % 64}M 1M" }).ToArray();
        var victim = ExternalTool.Start("qemu-io", [.. new[] { "-f", "raw" }.Concat(commands).Append(nbd.Uri("disk0"))]);
        try
        {
            // Kill only once the victim is connected, so the kill lands inside its session.
            await WaitUntilAsync(() => nbd.Server.ConnectionCount > 0 || victim.HasExited);
        }
        finally
        {
            ExternalTool.Kill(victim);
            victim.Dispose();
        }

        var result = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0x33 0 1M", "-c", "read -P 0x33 0 1M", nbd.Uri("disk0"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("Pattern verification failed", result.Stdout);
        await WaitUntilAsync(() => nbd.Server.ConnectionCount == 0);
        Assert.Equal(0, nbd.Server.ConnectionCount);
    }

    /// <summary>A source image with data, a hole and a distinct pattern per MiB, outside the host's images dir.</summary>
    private static async Task<string> WriteSourceImageAsync(NbdHost nbd, int size)
    {
        var bytes = new byte[size];
        new Random(42).NextBytes(bytes);
        bytes.AsSpan(MiB, MiB).Clear();
        var path = Path.Combine(nbd.Fixture.DataDir, "source.raw");
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        while (!condition() && !timeout.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
