using Nodes.Commands;
using Nodes.Disk;
using Nodes.Drivers;
using Nodes.Tests.Disk;
using Nodes.Tests.Scenarios;

namespace Nodes.Tests.Qcow2;

/// <summary>
/// Images in a fresh data dir, made and checked with qemu-img, and nodes over them on one
/// host: each image opened as a <c>file</c> node with a format node (raw or qcow2) on top.
/// </summary>
internal sealed class Qcow2Harness : IDisposable
{
    private readonly Akka.TestKit.TestKitBase _kit;
    private readonly TempDataDir _dir = new();
    private readonly List<string> _opened = [];
    private readonly List<string> _images = [];

    public Qcow2Harness(Akka.TestKit.TestKitBase kit)
    {
        _kit = kit;
        Disk = new DiskBackend(_dir.DataDir);
        Nodes = new NodeHarness(kit, disk: Disk);
    }

    public DiskBackend Disk { get; }

    public NodeHarness Nodes { get; }

    public string PathOf(string image) => _dir.PathOf(image);

    /// <summary>A raw image of <paramref name="size"/> bytes, every byte <paramref name="pattern"/> (written by qemu-io).</summary>
    public async Task CreateBaseAsync(string image, long size, byte pattern)
    {
        await QemuImg.RunCheckedAsync("create", "-f", "raw", PathOf(image), size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await QemuImg.IoCheckedAsync("raw", PathOf(image), $"write -P 0x{pattern:x2} 0 {size}");
    }

    /// <summary><c>qemu-img create -f qcow2 [-b backing -F raw] [options...] image size</c>.</summary>
    public Task CreateQcow2Async(string image, long size, string? backing = null, params string[] options)
    {
        var arguments = new List<string> { "create", "-f", "qcow2" };
        if (backing is not null)
        {
            arguments.AddRange(["-b", backing, "-F", "raw"]);
        }
        arguments.AddRange(options);
        arguments.AddRange([PathOf(image), size.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return QemuImg.RunCheckedAsync([.. arguments]);
    }

    /// <summary>Opens <paramref name="image"/> read-only as node <paramref name="node"/> (raw over file <c>NODE-file</c>).</summary>
    public Task OpenRawAsync(string node, string image) => OpenAsync(node, "raw", image, "read-only=on");

    /// <summary>Opens <paramref name="image"/> as qcow2 node <paramref name="node"/> over file <c>NODE-file</c>, with <paramref name="backing"/> (a node) if given.</summary>
    public Task OpenQcow2Async(string node, string image, string? backing = null) =>
        OpenAsync(node, "qcow2", image, "", backing is null ? [] : [("backing", backing)]);

    /// <summary>Adds a node of any driver above existing nodes, to be closed with the rest.</summary>
    public async Task AddAsync(string node, string driver, params (string Role, string Child)[] children)
    {
        await Nodes.Add(node, driver, children: children);
        _opened.Add(node);
    }

    /// <summary>Deletes every node this harness added, top first, and waits until their images are closed.</summary>
    public async Task CloseAllAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            await Nodes.Run(new DeleteNode(_opened[i]));
        }
        _opened.Clear();
        foreach (var image in _images)
        {
            _kit.AwaitCondition(() => !Disk.IsOpen(image), NodeHarness.Timeout, NodeHarness.Poll);
        }
        _images.Clear();
    }

    public async Task<byte[]> ReadAsync(string node, long offset, int length)
    {
        var buffer = new byte[length];
        await Nodes.Read(node, offset, buffer);
        return buffer;
    }

    public Task WriteAsync(string node, long offset, byte[] data, bool fua = false) => Nodes.Request(node, async n =>
    {
        await n.WriteAsync(offset, data, fua);
        return true;
    });

    public Task<BlockStatus> StatusAsync(string node, long offset, long length) => Nodes.Request(node, n => n.BlockStatusAsync(offset, length));

    /// <summary>Writes <paramref name="expected"/> as a raw image and asserts <c>qemu-img compare</c> finds the qcow2 image identical to it.</summary>
    public async Task AssertSameAsAsync(string image, byte[] expected)
    {
        await System.IO.File.WriteAllBytesAsync(PathOf("expected.raw"), expected);
        var output = await QemuImg.RunCheckedAsync("compare", "-f", "qcow2", "-F", "raw", PathOf(image), PathOf("expected.raw"));
        Assert.Contains("Images are identical", output);
    }

    /// <summary>Closes every node, then asserts <c>qemu-img check</c> finds the image consistent and identical to <paramref name="expected"/>.</summary>
    public async Task CloseAndVerifyAsync(string image, byte[] expected)
    {
        await CloseAllAsync();
        await QemuImg.AssertConsistentAsync(PathOf(image));
        await AssertSameAsAsync(image, expected);
    }

    public void Dispose() => _dir.Dispose();

    private async Task OpenAsync(string node, string driver, string image, string fileOptions, params (string Role, string Child)[] children)
    {
        var file = node + "-file";
        await Nodes.Add(file, "file", fileOptions.Length == 0 ? $"filename={image}" : $"filename={image},{fileOptions}");
        _opened.Add(file);
        _images.Add(image);
        await AddAsync(node, driver, [("file", file), .. children]);
    }
}
