using System.Net;
using System.Net.Sockets;

namespace Host.Tests.Cli;

/// <summary>
/// A <c>--blockdev</c> or <c>--export</c> the graph or the disk refuses stops the host with exit
/// code 1 and one line naming the option and the reason, as qemu-storage-daemon does; never an
/// unhandled exception.
/// The host runs in-process on a fresh data dir and images dir.
/// </summary>
public sealed class RefusedDaemonStepTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("host-cli-tests-");

    public RefusedDaemonStepTests()
    {
        Directory.CreateDirectory(ImagesDir);
        File.WriteAllBytes(Path.Combine(ImagesDir, "disk.raw"), new byte[65536]);
        File.CreateSymbolicLink(Path.Combine(ImagesDir, "escape.raw"), "/etc/passwd");
    }

    private string ImagesDir => Path.Combine(_root.FullName, "images");

    public void Dispose() => _root.Delete(recursive: true);

    [Theory]
    [InlineData("driver=file,node-name=f0,filename=/etc/passwd", "f0", "Image path '/etc/passwd' of node 'f0' refused: is an absolute path outside the images dir")]
    [InlineData("driver=file,node-name=f0,filename=../outside.raw", "f0", "Image path '../outside.raw' of node 'f0' refused: contains a '..' segment")]
    [InlineData("driver=file,node-name=f0,filename=escape.raw", "f0", "Image path 'escape.raw' of node 'f0' refused: resolves to '/etc/passwd' through a symlink")]
    [InlineData("driver=file,node-name=f0,filename=missing.raw", "f0", "Image 'missing.raw' does not exist")]
    [InlineData("driver=file,node-name=f0,filename=disk.raw,read-only=maybe", "f0", "option 'read-only': expected on or off, got 'maybe'")]
    [InlineData("driver=nosuch,node-name=f0,filename=disk.raw", "f0", "Unknown driver 'nosuch'")]
    [InlineData("driver=raw,node-name=r0,file=nochild", "r0", "Cannot find node name 'nochild'")]
    public async Task A_refused_blockdev_exits_1_with_one_line_naming_it(string blockdev, string node, string reason)
    {
        var (code, line) = await RunAsync("--blockdev", blockdev);

        Assert.Equal(1, code);
        Assert.StartsWith($"actors-host: --blockdev node-name={node}: ", line);
        Assert.Contains(reason, line);
    }

    [Fact]
    public async Task A_blockdev_over_a_file_that_is_not_its_format_exits_1_naming_it()
    {
        var (code, line) = await RunAsync(
            "--blockdev", "driver=file,node-name=f0,filename=disk.raw",
            "--blockdev", "driver=qcow2,node-name=q0,file=f0");

        Assert.Equal(1, code);
        Assert.StartsWith("actors-host: --blockdev node-name=q0: ", line);
        Assert.Contains("not a valid qcow2 image", line);
    }

    [Fact]
    public async Task A_second_blockdev_on_an_open_image_exits_1_naming_it()
    {
        var (code, line) = await RunAsync(
            "--blockdev", "driver=file,node-name=f0,filename=disk.raw",
            "--blockdev", "driver=file,node-name=f1,filename=disk.raw");

        Assert.Equal(1, code);
        Assert.StartsWith("actors-host: --blockdev node-name=f1: ", line);
        Assert.Contains("already open on this host", line);
    }

    [Fact]
    public async Task An_export_of_a_missing_node_exits_1_naming_it()
    {
        var (code, line) = await RunAsync("--export", "type=nbd,id=e0,node-name=nowhere,name=e0");

        Assert.Equal(1, code);
        Assert.StartsWith("actors-host: --export id=e0: ", line);
        Assert.Contains("'nowhere'", line);
    }

    [Fact]
    public async Task An_NBD_address_in_use_exits_1_naming_the_server_and_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, line) = await RunAsync("--nbd-server", $"addr.type=inet,addr.host=127.0.0.1,addr.port={port}");

        Assert.Equal(1, code);
        Assert.Equal($"actors-host: NBD server on 127.0.0.1:{port}: Address already in use", line);
    }

    [Fact]
    public async Task A_QMP_address_in_use_exits_1_naming_the_monitor_and_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (code, line) = await RunAsync(
            "--chardev", $"socket,id=mon0,host=127.0.0.1,port={port},server=on,wait=off", "--monitor", "chardev=mon0");

        Assert.Equal(1, code);
        Assert.Equal($"actors-host: QMP monitor on 127.0.0.1:{port}: Address already in use", line);
    }

    /// <summary>Runs the host with <paramref name="options"/> on this test's dirs; returns its exit code and the one line it wrote to the error writer.</summary>
    private Task<(int Code, string Line)> RunAsync(params string[] options) =>
        RefusedStart.RunAsync(["--data-dir", Path.Combine(_root.FullName, "data"), "--set", $"host.images-dir=\"{ImagesDir}\"", .. options]);
}
