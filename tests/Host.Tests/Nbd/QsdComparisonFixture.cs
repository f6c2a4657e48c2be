using TestTools;

namespace Host.Tests.Nbd;

/// <summary>
/// The same images served read-only by our host and by qemu-storage-daemon, export for export,
/// so a test can run one client against both and compare what it prints. Built once per test
/// class. The images, made with qemu-img and qemu-io:
/// <code>
/// sparse.raw  8 MiB raw: data at 1M (64k), 3M (1M, with 64k written as zeroes inside), 6M (4k); holes elsewhere
/// base.qcow2  8 MiB: data 0-2M, zero clusters 2M-3M, the rest unallocated
/// top.qcow2  10 MiB over base.qcow2: data 1M (512k), zero clusters 4M (128k), data 9M (64k) past the base's end
/// </code>
/// and the exports over them:
/// <code>
/// sparse       raw ── file(sparse.raw)
/// window       raw(offset=512k, size=4M) ── file(sparse.raw)
/// top          qcow2(top) ── backing: qcow2(base)
/// filtered     blkdebug ── qcow2(top) ── ...      (a filter counts as a layer of the depth)
/// null         null-co 4M
/// null-zeroes  null-co 4M, read-zeroes=on
/// </code>
/// Without qemu-storage-daemon or the qemu tools nothing is built (the tests are skipped).
/// </summary>
public sealed class QsdComparisonFixture : IAsyncLifetime
{
    private const string NullSize = "4194304";

    private NbdHost? _ours;
    private QemuStorageDaemon? _qsd;

    /// <summary>Every export, as both servers name it.</summary>
    public static readonly string[] Exports = ["sparse", "window", "top", "filtered", "null", "null-zeroes"];

    public NbdHost Ours => _ours ?? throw new InvalidOperationException("the fixture did not start");

    public QemuStorageDaemon Qsd => _qsd ?? throw new InvalidOperationException("the fixture did not start");

    /// <summary>A fresh path for a client's output file, in the host's data dir (outside its images dir).</summary>
    public string OutputPath(string name) => Path.Combine(Ours.Fixture.DataDir, name);

    public async Task InitializeAsync()
    {
        if (NbdTools.SkipReason(["qemu-storage-daemon", "qemu-img", "qemu-io"]) is not null)
        {
            return;
        }
        _ours = await NbdHost.StartAsync();
        var images = _ours.Fixture.ImagesDir;
        Directory.CreateDirectory(images);
        await MakeImagesAsync(images);

        (string, string)[] readOnly = [("read-only", "on")];
        await _ours.AddNodeAsync("sparse-file", "file", [("filename", "sparse.raw"), .. readOnly], []);
        await _ours.AddNodeAsync("sparse", "raw", [], [("file", "sparse-file")]);
        await _ours.AddNodeAsync("window", "raw", [("offset", "524288"), ("size", "4194304")], [("file", "sparse-file")]);
        await _ours.AddNodeAsync("base-file", "file", [("filename", "base.qcow2"), .. readOnly], []);
        await _ours.AddNodeAsync("base", "qcow2", [], [("file", "base-file")]);
        await _ours.AddNodeAsync("top-file", "file", [("filename", "top.qcow2"), .. readOnly], []);
        await _ours.AddNodeAsync("top", "qcow2", [], [("file", "top-file"), ("backing", "base")]);
        await _ours.AddNodeAsync("filtered", "blkdebug", [], [("file", "top")]);
        await _ours.AddNodeAsync("null", "null-co", [("size", NullSize)], []);
        await _ours.AddNodeAsync("null-zeroes", "null-co", [("size", NullSize), ("read-zeroes", "on")], []);
        foreach (var export in Exports)
        {
            await _ours.AddExportAsync(export, export);
        }

        // qsd opens top.qcow2's backing from its header; allocation-depth=on offers qemu:allocation-depth, which ours always does.
        _qsd = await QemuStorageDaemon.StartAsync(Path.Combine(_ours.Fixture.DataDir, "qsd.sock"),
        [
            "--blockdev", $"driver=file,node-name=sparse-file,filename={images}/sparse.raw,read-only=on",
            "--blockdev", "driver=raw,node-name=sparse,file=sparse-file,read-only=on",
            "--blockdev", "driver=raw,node-name=window,file=sparse-file,offset=524288,size=4194304,read-only=on",
            "--blockdev", $"driver=qcow2,node-name=top,file.driver=file,file.filename={images}/top.qcow2,read-only=on",
            "--blockdev", "driver=blkdebug,node-name=filtered,image=top,read-only=on",
            "--blockdev", $"driver=null-co,node-name=null,size={NullSize}",
            "--blockdev", $"driver=null-co,node-name=null-zeroes,size={NullSize},read-zeroes=on",
            .. Exports.SelectMany(e => new[] { "--export", $"type=nbd,id={e}-export,node-name={e},name={e},allocation-depth=on" }),
        ]);
    }

    public async Task DisposeAsync()
    {
        if (_qsd is not null)
        {
            await _qsd.DisposeAsync();
        }
        if (_ours is not null)
        {
            await _ours.DisposeAsync();
        }
    }

    private static async Task MakeImagesAsync(string images)
    {
        await RunAsync("qemu-img", "create", "-f", "raw", $"{images}/sparse.raw", "8M");
        await RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0xab 1M 64k", "-c", "write -P 0xcd 3M 1M", "-c", "write -z 3584k 64k",
            "-c", "write -P 0xef 6M 4k", $"{images}/sparse.raw");
        await RunAsync("qemu-img", "create", "-f", "qcow2", $"{images}/base.qcow2", "8M");
        await RunAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 2M", "-c", "write -z 2M 1M", $"{images}/base.qcow2");
        await RunAsync("qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", $"{images}/top.qcow2", "10M");
        await RunAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 1M 512k", "-c", "write -z 4M 128k", "-c", "write -P 0x33 9M 64k",
            $"{images}/top.qcow2");
    }

    private static async Task RunAsync(string tool, params string[] arguments)
    {
        var result = await NbdTools.RunAsync(tool, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }
    }
}
