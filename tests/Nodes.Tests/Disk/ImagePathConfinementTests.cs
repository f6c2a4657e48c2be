using Nodes.Disk;

namespace Nodes.Tests.Disk;

/// <summary>Image names are checked at the backend's edge: nothing outside the images dir is ever opened or created.</summary>
public sealed class ImagePathConfinementTests : IDisposable
{
    private readonly TempDataDir _dir = new();
    private readonly DiskBackend _backend;

    public ImagePathConfinementTests()
    {
        _backend = new DiskBackend(_dir.DataDir);
        File.WriteAllBytes(Path.Combine(_dir.Outside, "secret.img"), new byte[4096]);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("../outside/secret.img", "'..'")]
    [InlineData("a/../../outside/secret.img", "'..'")]
    [InlineData("..", "'..'")]
    [InlineData("/etc/passwd", "absolute path outside the images dir")]
    [InlineData("disk\0.img", "NUL")]
    [InlineData("disk\n.img", "control character")]
    [InlineData("disk\u001b.img", "control character")]
    [InlineData("", "empty")]
    [InlineData(".", "images dir itself")]
    [InlineData("./", "images dir itself")]
    public void A_bad_name_is_refused_with_the_reason(string name, string reason)
    {
        var open = Assert.Throws<ImagePathException>(() => _backend.Open(name));
        var create = Assert.Throws<ImagePathException>(() => _backend.Create(name, 4096));
        Assert.Throws<ImagePathException>(() => _backend.Delete(name));

        Assert.Equal(name, open.Path);
        Assert.Contains(reason, open.Reason);
        Assert.Contains(reason, create.Message);
        Assert.DoesNotContain('\0', open.Message);
    }

    [Fact]
    public void An_absolute_path_outside_is_refused_even_when_the_file_exists()
    {
        var outside = Path.Combine(_dir.Outside, "secret.img");

        var e = Assert.Throws<ImagePathException>(() => _backend.Open(outside));

        Assert.Contains(outside, e.Message);
        Assert.Contains("outside the images dir", e.Reason);
    }

    [Fact]
    public async Task An_absolute_path_inside_the_data_dir_names_the_same_image()
    {
        _backend.Create("disk.img", 4096);

        await using var image = _backend.Open(_dir.PathOf("disk.img"));

        Assert.Equal("disk.img", image.Name);
    }

    [Fact]
    public void A_symlink_pointing_outside_the_data_dir_is_refused()
    {
        File.CreateSymbolicLink(_dir.PathOf("escape.img"), Path.Combine(_dir.Outside, "secret.img"));

        var e = Assert.Throws<ImagePathException>(() => _backend.Open("escape.img"));

        Assert.Contains("symlink", e.Reason);
        Assert.Contains("outside the images dir", e.Reason);
        Assert.Throws<ImagePathException>(() => _backend.Delete("escape.img"));
        Assert.True(File.Exists(Path.Combine(_dir.Outside, "secret.img")));
    }

    [Fact]
    public void A_symlinked_directory_pointing_outside_is_refused_for_open_and_create()
    {
        Directory.CreateSymbolicLink(_dir.PathOf("vm"), _dir.Outside);

        var open = Assert.Throws<ImagePathException>(() => _backend.Open("vm/secret.img"));
        var create = Assert.Throws<ImagePathException>(() => _backend.Create("vm/new.img", 4096));

        Assert.Contains("outside the images dir", open.Reason);
        Assert.Contains("outside the images dir", create.Reason);
        Assert.False(File.Exists(Path.Combine(_dir.Outside, "new.img")));
    }

    [Fact]
    public void A_dangling_symlink_to_the_outside_cannot_be_used_to_create_a_file_there()
    {
        File.CreateSymbolicLink(_dir.PathOf("trap.img"), Path.Combine(_dir.Outside, "created.img"));

        Assert.ThrowsAny<IOException>(() => _backend.Create("trap.img", 4096));

        Assert.False(File.Exists(Path.Combine(_dir.Outside, "created.img")));
    }

    [Fact]
    public async Task A_symlink_that_stays_inside_the_data_dir_is_followed()
    {
        _backend.Create("real.img", 4096);
        File.CreateSymbolicLink(_dir.PathOf("alias.img"), "real.img");

        await using var image = _backend.Open("alias.img");

        Assert.Equal(_backend.GetInfo("real.img").Size, image.Length);
    }

    [Fact]
    public void A_directory_is_not_an_image()
    {
        Directory.CreateDirectory(_dir.PathOf("vm"));

        var e = Assert.Throws<ImagePathException>(() => _backend.Open("vm"));

        Assert.Contains("not a regular file", e.Reason);
    }

    [Fact]
    public void Creating_in_a_missing_directory_is_refused_naming_it()
    {
        var e = Assert.Throws<ImagePathException>(() => _backend.Create("nowhere/disk.img", 4096));

        Assert.Contains("'nowhere' does not exist", e.Reason);
    }
}
