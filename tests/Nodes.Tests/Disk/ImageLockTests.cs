using Nodes.Disk;

namespace Nodes.Tests.Disk;

/// <summary>
/// The lock protocol between two engines sharing a file system (two backends on one directory
/// stand for two hosts): each open is its own open file description, so the OFD lock bytes decide.
/// </summary>
public sealed class ImageLockTests : IDisposable
{
    private readonly TempDataDir _dir = new();
    private readonly DiskBackend _hostA;
    private readonly DiskBackend _hostB;

    public ImageLockTests()
    {
        _hostA = new DiskBackend(_dir.DataDir);
        _hostB = new DiskBackend(_dir.DataDir);
        _hostA.Create("disk.img", 1 << 20);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_second_writer_is_refused_because_the_first_uses_write()
    {
        await using var writer = _hostA.Open("disk.img", ImageOpenOptions.ReadWrite);

        var e = Assert.Throws<ImageLockedException>(() => _hostB.Open("disk.img", ImageOpenOptions.ReadWrite));

        Assert.True(writer.IsLocked);
        Assert.Equal("disk.img", e.ImageName);
        Assert.Equal(ImageLockConflict.PermissionNotShared, e.Conflict);
        Assert.Equal(BlockPermissions.Write, e.Permission);
        Assert.Contains("Failed to get \"write\" lock", e.Message);
    }

    [Fact]
    public async Task A_reader_is_refused_while_a_writer_holds_the_image()
    {
        await using var writer = _hostA.Open("disk.img", ImageOpenOptions.ReadWrite);

        var e = Assert.Throws<ImageLockedException>(() => _hostB.Open("disk.img", ImageOpenOptions.ReadOnly));

        Assert.Equal(ImageLockConflict.PermissionInUse, e.Conflict);
        Assert.Contains("Failed to get shared \"write\" lock", e.Message);
    }

    [Fact]
    public async Task A_writer_is_refused_while_a_reader_holds_the_image()
    {
        await using var reader = _hostA.Open("disk.img", ImageOpenOptions.ReadOnly);

        var e = Assert.Throws<ImageLockedException>(() => _hostB.Open("disk.img", ImageOpenOptions.ReadWrite));

        Assert.Equal(ImageLockConflict.PermissionNotShared, e.Conflict);
        Assert.Equal(BlockPermissions.Write, e.Permission);
    }

    [Fact]
    public async Task Readers_share_the_image()
    {
        await using var first = _hostA.Open("disk.img", ImageOpenOptions.ReadOnly);
        await using var second = _hostB.Open("disk.img", ImageOpenOptions.ReadOnly);

        Assert.True(first.IsLocked && second.IsLocked);
    }

    [Fact]
    public async Task A_force_share_reader_coexists_with_a_writer()
    {
        await using var writer = _hostA.Open("disk.img", ImageOpenOptions.ReadWrite);
        await using var reader = _hostB.Open("disk.img", new ImageOpenOptions(ImageAccess.ReadOnly, ForceShare: true));

        await writer.WriteAsync(0, new byte[] { 1, 2, 3 });
        var back = new byte[3];
        await reader.ReadAsync(0, back);

        Assert.Equal(new byte[] { 1, 2, 3 }, back);
    }

    [Fact]
    public async Task With_locking_off_an_open_neither_checks_nor_publishes()
    {
        await using var unlocked = _hostA.Open("disk.img", new ImageOpenOptions(ImageAccess.ReadWrite, ImageLocking.Off));
        await using var writer = _hostB.Open("disk.img", ImageOpenOptions.ReadWrite);

        Assert.False(unlocked.IsLocked);
        Assert.True(writer.IsLocked);
    }

    [Fact]
    public async Task Closing_the_writer_lets_the_other_host_open_it()
    {
        var writer = _hostA.Open("disk.img", ImageOpenOptions.ReadWrite);
        Assert.Throws<ImageLockedException>(() => _hostB.Open("disk.img", ImageOpenOptions.ReadWrite));

        writer.Close();

        await using var next = _hostB.Open("disk.img", ImageOpenOptions.ReadWrite);
        Assert.True(next.IsLocked);
    }

    [Fact]
    public async Task Deleting_an_image_another_host_holds_is_refused()
    {
        await using var reader = _hostA.Open("disk.img", ImageOpenOptions.ReadOnly);

        var e = Assert.Throws<ImageLockedException>(() => _hostB.Delete("disk.img"));

        Assert.Contains("disk.img", e.Message);
        Assert.True(File.Exists(_dir.PathOf("disk.img")));
    }
}
