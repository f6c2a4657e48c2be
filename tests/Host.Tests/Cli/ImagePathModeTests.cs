using Host.Tests.Nbd;
using TestTools;

namespace Host.Tests.Cli;

/// <summary>
/// Where a <c>--blockdev</c> filename may lead, run as a user runs the host: a child process in a
/// working directory of its own. With <c>host.images-dir</c> unset (the default) a filename is
/// used as qemu-storage-daemon uses it; set, images are confined to that directory and anything
/// else is one line naming the option, and exit code 1.
/// </summary>
public sealed class ImagePathModeTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("host-image-paths-");

    public void Dispose() => _root.Delete(recursive: true);

    [NbdClientFact("qemu-img", "qemu-io")]
    public async Task The_READMEs_qsd_example_with_absolute_paths_serves_from_another_working_directory()
    {
        var images = Subdirectory("images");
        var elsewhere = Subdirectory("elsewhere");
        var disk = Path.Combine(images, "disk.raw");
        var socket = Path.Combine(images, "nbd.sock");
        var created = await NbdTools.RunAsync("qemu-img", "create", "-f", "raw", disk, "64M");
        Assert.True(created.ExitCode == 0, created.ToString());

        ExternalTool.Result write, locked, stopped;
        await using (var host = await HostExecutable.StartAsync(elsewhere,
            "--blockdev", $"driver=file,node-name=file0,filename={disk}",
            "--blockdev", "driver=raw,node-name=disk0,file=file0", "--object", "iothread,id=io0",
            "--export", "type=nbd,id=e0,node-name=disk0,name=disk0,writable=on,iothread=io0",
            "--nbd-server", $"addr.type=unix,addr.path={socket}"))
        {
            write = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0xab 0 1M", $"nbd+unix:///disk0?socket={socket}");
            locked = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "write 0 4k", disk);
            stopped = await host.StopAsync();
        }
        var readBack = await NbdTools.RunAsync("qemu-io", "-f", "raw", "-c", "read -P 0xab 0 1M", disk);

        Assert.True(write.ExitCode == 0, write.ToString());
        Assert.Contains("Failed to get \"write\" lock", locked.Stderr);
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.True(readBack.ExitCode == 0 && !readBack.Stdout.Contains("Pattern verification failed"), readBack.ToString());
        Assert.True(File.Exists(Path.Combine(elsewhere, "data", "graph.db")), "the journal lives in ./data of the working directory");
    }

    [Fact]
    public async Task With_images_dir_set_an_absolute_path_elsewhere_exits_1_with_one_line_and_no_stack_trace()
    {
        var images = Subdirectory("images");
        var elsewhere = Subdirectory("elsewhere");
        var outside = Path.Combine(elsewhere, "disk.raw");
        File.WriteAllBytes(outside, new byte[65536]);

        var result = await HostExecutable.RunAsync(elsewhere,
            "--set", $"host.images-dir=\"{images}\"",
            "--blockdev", $"driver=file,node-name=file0,filename={outside}");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"actors-host: --blockdev node-name=file0: Image path '{outside}' of node 'file0' refused: is an absolute path outside the images dir '{images}'",
            result.Stderr.Trim());
        Assert.DoesNotContain("   at ", result.Stdout);
    }

    private string Subdirectory(string name) => _root.CreateSubdirectory(name).FullName;
}
