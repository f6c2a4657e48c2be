using Nodes.Disk;

namespace Nodes.Tests.Disk;

public sealed class DiskBackendTests : IDisposable
{
    private readonly TempDataDir _dir = new();
    private readonly DiskBackend _backend;

    public DiskBackendTests()
    {
        _backend = new DiskBackend(_dir.DataDir);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Create_makes_a_sparse_file_of_the_given_size()
    {
        var info = _backend.Create("disk.img", 1L << 30);

        Assert.Equal(1L << 30, new FileInfo(_dir.PathOf("disk.img")).Length);
        Assert.Equal("disk.img", info.Name);
        Assert.True(info.AllocatedBytes < 1L << 20, $"allocated {info.AllocatedBytes}");
    }

    [Fact]
    public void Create_refuses_an_existing_name()
    {
        _backend.Create("disk.img", 4096);

        var e = Assert.Throws<IOException>(() => _backend.Create("disk.img", 8192));

        Assert.Contains("already exists", e.Message);
        Assert.Equal(4096, _backend.GetInfo("disk.img").Size);
    }

    [Fact]
    public void Opening_a_missing_image_names_it()
    {
        var e = Assert.Throws<FileNotFoundException>(() => _backend.Open("missing.img"));

        Assert.Contains("missing.img", e.Message);
    }

    [Fact]
    public void List_returns_images_in_subdirectories_by_name_and_skips_hidden_files_and_symlinks()
    {
        Directory.CreateDirectory(_dir.PathOf("vm1"));
        _backend.Create("vm1/disk.img", 8192);
        _backend.Create("b.img", 4096);
        _backend.Create("a.img", 4096);
        File.WriteAllBytes(_dir.PathOf(".hidden"), new byte[1]);
        File.CreateSymbolicLink(_dir.PathOf("link.img"), "a.img");

        var names = _backend.List().Select(i => i.Name);

        Assert.Equal(["a.img", "b.img", "vm1/disk.img"], names);
        Assert.Equal(8192, _backend.List().Single(i => i.Name == "vm1/disk.img").Size);
    }

    [Fact]
    public void Delete_removes_the_image()
    {
        _backend.Create("disk.img", 4096);

        _backend.Delete("disk.img");

        Assert.False(File.Exists(_dir.PathOf("disk.img")));
        Assert.Empty(_backend.List());
    }

    [Fact]
    public async Task An_open_image_can_be_neither_opened_again_nor_deleted_until_closed()
    {
        _backend.Create("disk.img", 4096);
        var image = _backend.Open("disk.img", ImageOpenOptions.ReadOnly);

        var again = Assert.Throws<ImageLockedException>(() => _backend.Open("disk.img", ImageOpenOptions.ReadOnly));
        var delete = Assert.Throws<ImageLockedException>(() => _backend.Delete("disk.img"));
        await image.DisposeAsync();
        _backend.Delete("disk.img");

        Assert.Equal(ImageLockConflict.OpenOnThisHost, again.Conflict);
        Assert.Equal(ImageLockConflict.OpenOnThisHost, delete.Conflict);
        Assert.Contains("disk.img", again.Message);
    }

    [Fact]
    public void Force_share_is_refused_for_a_read_write_open()
    {
        _backend.Create("disk.img", 4096);

        var e = Assert.Throws<ArgumentException>(() => _backend.Open("disk.img", new ImageOpenOptions(ImageAccess.ReadWrite, ForceShare: true)));

        Assert.Contains("read-only", e.Message);
        Assert.False(_backend.IsOpen("disk.img"));
    }
}
