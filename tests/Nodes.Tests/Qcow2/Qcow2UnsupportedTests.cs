using Nodes.Drivers;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Qcow2;

/// <summary>Images with features the driver does not implement are refused with a message naming the node and the feature.</summary>
public sealed class Qcow2UnsupportedTests : NodesTestKit, IDisposable
{
    private readonly Qcow2Harness _h;

    public Qcow2UnsupportedTests(ITestOutputHelper output)
        : base(output: output) => _h = new Qcow2Harness(this);

    void IDisposable.Dispose()
    {
        Dispose();
        _h.Dispose();
    }

    [QemuTheory]
    [InlineData("-o compat=0.10", "qcow2 version 2")]
    [InlineData("-o extended_l2=on", "extended L2 entries")]
    // {dir} is the test's data dir: qemu-img creates a relative data_file in its working
    // directory (the shared test output dir), not beside the image.
    [InlineData("-o data_file={dir}/data.raw", "an external data file")]
    [InlineData("-o refcount_bits=8", "8-bit refcounts")]
    // qemu-img's legacy AES encryption, not LUKS: the driver refuses any non-zero crypt_method
    // alike, and LUKS creation is deliberately expensive (two PBKDF2 benchmarks of at least 0.5 s
    // CPU each, then 2.25 s of key stretching at the default iter-time, even with iter-time=10
    // still close to 2 s of CPU); in a loaded parallel run that one qemu-img took 20 s to over a
    // minute of wall time. AES costs a few milliseconds like the other rows.
    [InlineData("--object secret,id=sec0,data=abc -o encrypt.format=aes,encrypt.key-secret=sec0", "encryption (method 1)")]
    public async Task An_image_made_with_an_unsupported_option_is_refused_naming_the_feature(string options, string feature)
    {
        var dir = Path.GetDirectoryName(_h.PathOf("ov.qcow2"))!;
        await _h.CreateQcow2Async("ov.qcow2", 1 << 20, options: options.Replace("{dir}", dir).Split(' '));
        await AssertRefusedAsync(feature);
    }

    [QemuTheory]
    [InlineData(0x01, "the dirty bit")]
    [InlineData(0x02, "the corrupt bit")]
    [InlineData(0x80, "unknown incompatible features 0x80")]
    public async Task An_image_with_an_incompatible_feature_bit_is_refused_naming_it(byte bit, string feature)
    {
        await _h.CreateQcow2Async("ov.qcow2", 1 << 20);
        using (var stream = File.OpenWrite(_h.PathOf("ov.qcow2")))
        {
            // The last byte of the big-endian incompatible_features field (bytes 72 to 79).
            stream.Position = 79;
            stream.WriteByte(bit);
        }
        await AssertRefusedAsync(feature);
    }

    [QemuFact]
    public async Task A_raw_image_opened_as_qcow2_is_refused_as_not_qcow2()
    {
        await _h.CreateBaseAsync("ov.qcow2", 1 << 20, 0x5a);
        await AssertRefusedAsync("not a valid qcow2 image", Errno.EINVAL);
    }

    [QemuFact]
    public async Task Reading_a_compressed_cluster_fails_naming_the_node_and_other_clusters_still_read()
    {
        await _h.CreateQcow2Async("ov.qcow2", 1 << 20);
        await QemuImg.IoCheckedAsync("qcow2", _h.PathOf("ov.qcow2"), "write -c -P 0x12 0 64k", "write -P 0x34 64k 64k");
        await _h.OpenQcow2Async("ov", "ov.qcow2");

        var error = await Assert.ThrowsAsync<BlockIOException>(() => _h.ReadAsync("ov", 0, 4096));
        Assert.Equal(Errno.ENOTSUP, error.Errno);
        Assert.Contains("'ov'", error.Message);
        Assert.Contains("compressed", error.Message);
        Assert.All(await _h.ReadAsync("ov", 65536, 65536), b => Assert.Equal(0x34, b));
    }

    private async Task AssertRefusedAsync(string feature, Errno errno = Errno.ENOTSUP)
    {
        var error = await Assert.ThrowsAsync<BlockIOException>(() => _h.OpenQcow2Async("ov", "ov.qcow2"));
        Assert.Equal(errno, error.Errno);
        Assert.Contains("Node 'ov'", error.Message);
        Assert.Contains(feature, error.Message);
        Assert.Null(_h.Nodes.Snapshot().Find("ov"));
    }
}
