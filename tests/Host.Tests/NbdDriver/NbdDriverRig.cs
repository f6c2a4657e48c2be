using System.Text.Json.Nodes;
using Host.Tests.Qmp;
using Nodes.Drivers;
using TestTools;

namespace Host.Tests.NbdDriver;

/// <summary>
/// Our host (QMP and NBD server on Unix sockets in its data dir) beside a qemu-storage-daemon
/// that exports <c>base.raw</c> (8 MiB of 0x11) as <c>base</c>: the graph reaches it with an
/// <c>nbd</c> node, and real clients reach the graph through our export.
/// </summary>
public sealed class NbdDriverRig : IAsyncDisposable
{
    public const int MiB = 1 << 20;

    public const long BaseSize = 8 * MiB;

    private readonly List<string> _nbdNodes = [];

    private NbdDriverRig(QmpFixture host, QmpTestClient qmp, StorageDaemon daemon, string dir)
    {
        Host = host;
        Qmp = qmp;
        Daemon = daemon;
        Dir = dir;
    }

    public QmpFixture Host { get; }

    public QmpTestClient Qmp { get; }

    /// <summary>The qemu-storage-daemon exporting the base image.</summary>
    public StorageDaemon Daemon { get; }

    /// <summary>Where the base image and the daemon's socket are (outside the host's images dir).</summary>
    public string Dir { get; }

    public string BaseImage => Path.Combine(Dir, "base.raw");

    public string NbdSocket => Path.Combine(Host.Host.DataDir, "nbd.sock");

    public static async Task<NbdDriverRig> StartAsync(bool writableBase)
    {
        var dir = Directory.CreateTempSubdirectory("nbd-driver-").FullName;
        var image = Path.Combine(dir, "base.raw");
        await Tool("qemu-img", "create", "-f", "raw", image, BaseSize.ToString());
        await Tool("qemu-io", "-f", "raw", "-c", $"write -P 0x11 0 {BaseSize}", image);
        var daemon = await StorageDaemon.StartAsync(image, Path.Combine(dir, "qsd.sock"), "base", writableBase);
        var host = await QmpFixture.StartWithNbdServerAsync();
        var qmp = await host.ConnectAsync();
        var rig = new NbdDriverRig(host, qmp, daemon, dir);
        await qmp.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = rig.NbdSocket } });
        return rig;
    }

    /// <summary>QMP blockdev-add of an nbd node on the daemon's export, in QEMU's JSON form, with <paramref name="options"/> added.</summary>
    public async Task AddNbdNodeAsync(string node, JsonObject? options = null)
    {
        var arguments = new JsonObject
        {
            ["driver"] = "nbd",
            ["node-name"] = node,
            ["server"] = new JsonObject { ["type"] = "unix", ["path"] = Daemon.SocketPath },
            ["export"] = Daemon.Export,
        };
        foreach (var (key, value) in options ?? [])
        {
            arguments[key] = value?.DeepClone();
        }
        await Qmp.ReturnOfAsync("blockdev-add", arguments);
        _nbdNodes.Add(node);
    }

    /// <summary>Exports <paramref name="node"/> writable on our NBD server under its own name; returns its URI.</summary>
    public async Task<string> ExportAsync(string node)
    {
        await Qmp.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = $"e-{node}", ["node-name"] = node, ["writable"] = true });
        return $"nbd+unix:///{node}?socket={NbdSocket}";
    }

    /// <summary>Runs one request on <paramref name="node"/> as a front end does: on its IoThread, under the read lock.</summary>
    public Task RunAsync(string node, Func<BlockNode, ValueTask> request) =>
        Host.Host.Host.Runtime.RunRequestAsync(node, async n =>
        {
            await request(n);
            return true;
        }).AsTask();

    /// <summary>Runs a tool that must succeed; returns its output.</summary>
    public static async Task<ExternalTool.Result> Tool(string tool, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(tool, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>
    /// Closes the nbd nodes first: a host that stops leaves its nodes open, and one whose server
    /// is gone would go on reconnecting in the test process.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nbdNodes)
        {
            await Host.Host.Host.Runtime.CloseNodeAsync(node);
        }
        await Qmp.DisposeAsync();
        await Host.DisposeAsync();
        await Daemon.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
