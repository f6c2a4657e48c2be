using Nodes.Disk;
using Xunit.Abstractions;
using TestTools;

namespace Nodes.Tests.Disk;

/// <summary>
/// The engine and real QEMU tools (qemu-io from Debian's qemu-utils) refuse each other's
/// conflicting opens of one image, as two QEMU processes would.
/// </summary>
public sealed class QemuLockingTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempDataDir _dir = new();

    public QemuLockingTests(ITestOutputHelper output)
    {
        _output = output;
        Backend = new DiskBackend(_dir.DataDir);
        Backend.Create("disk.img", 1 << 20);
    }

    private DiskBackend Backend { get; }

    private string Image => _dir.PathOf("disk.img");

    public void Dispose() => _dir.Dispose();

    [QemuFact]
    public async Task Qemu_io_cannot_write_while_the_engine_holds_the_image_and_can_after_close()
    {
        var image = Backend.Open("disk.img", ImageOpenOptions.ReadWrite);
        ExternalTool.Result refused;
        try
        {
            refused = await QemuIo.RunAsync("-f", "raw", "-c", "write -P 0xab 0 4k", Image);
        }
        finally
        {
            image.Close();
        }
        var accepted = await QemuIo.RunAsync("-f", "raw", "-c", "write -P 0xab 0 4k", Image);
        _output.WriteLine($"while held: {refused}\nafter close: {accepted}");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("lock", refused.Stderr);
        Assert.Contains("Failed to get \"write\" lock", refused.Stderr);
        Assert.Equal(0, accepted.ExitCode);
        await using var reopened = Backend.Open("disk.img", ImageOpenOptions.ReadOnly);
        var back = new byte[4096];
        await reopened.ReadAsync(0, back);
        Assert.All(back, b => Assert.Equal(0xab, b));
    }

    [QemuFact]
    public async Task The_engine_cannot_open_for_writing_while_qemu_io_holds_the_image_and_can_after_it_quits()
    {
        ImageLockedException refused;
        await using (var qemu = await QemuIoSession.StartAsync("-f", "raw", Image))
        {
            refused = Assert.Throws<ImageLockedException>(() => Backend.Open("disk.img", ImageOpenOptions.ReadWrite));
            await qemu.QuitAsync();
        }
        _output.WriteLine(refused.Message);

        await using var image = Backend.Open("disk.img", ImageOpenOptions.ReadWrite);

        Assert.Equal("disk.img", refused.ImageName);
        Assert.Equal(ImageLockConflict.PermissionInUse, refused.Conflict);
        Assert.Equal(BlockPermissions.Write, refused.Permission);
        Assert.Contains("disk.img", refused.Message);
        Assert.Contains("\"write\"", refused.Message);
        Assert.True(image.IsLocked);
    }

    [QemuFact]
    public async Task Read_only_opens_of_the_engine_and_qemu_io_coexist()
    {
        await using var qemu = await QemuIoSession.StartAsync("-r", "-f", "raw", Image);
        await using var image = Backend.Open("disk.img", ImageOpenOptions.ReadOnly);

        var read = await QemuIo.RunAsync("-r", "-f", "raw", "-c", "read 0 4k", Image);
        _output.WriteLine(read.ToString());

        Assert.Equal(0, read.ExitCode);
        Assert.Contains("read 4096/4096 bytes", read.Stdout);
        Assert.True(image.IsLocked);
    }

    [QemuFact]
    public async Task A_read_only_open_of_the_engine_keeps_qemu_io_writers_out()
    {
        await using var image = Backend.Open("disk.img", ImageOpenOptions.ReadOnly);

        var write = await QemuIo.RunAsync("-f", "raw", "-c", "write 0 4k", Image);
        _output.WriteLine(write.ToString());

        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Failed to get \"write\" lock", write.Stderr);
    }

    [QemuFact]
    public async Task A_force_share_read_or_locking_off_open_ignores_a_qemu_io_writer()
    {
        await using var qemu = await QemuIoSession.StartAsync("-f", "raw", Image);

        await using var shared = Backend.Open("disk.img", new ImageOpenOptions(ImageAccess.ReadOnly, ForceShare: true));
        var other = new DiskBackend(_dir.DataDir);
        await using var unlocked = other.Open("disk.img", new ImageOpenOptions(ImageAccess.ReadWrite, ImageLocking.Off));

        Assert.True(shared.IsLocked);
        Assert.False(unlocked.IsLocked);
    }
}
