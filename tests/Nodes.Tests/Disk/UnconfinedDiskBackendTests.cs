using Nodes.Disk;

namespace Nodes.Tests.Disk;

/// <summary>
/// A backend without an images dir (a host's default) takes image names as qemu-storage-daemon
/// takes a filename: absolute, or relative to the working directory, with ".." and symlinks
/// followed wherever they lead. What no image name may hold is still refused.
/// </summary>
public sealed class UnconfinedDiskBackendTests : IDisposable
{
    private readonly TempDataDir _dir = new();
    private readonly DiskBackend _backend = new(imagesDir: null);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_absolute_path_anywhere_is_created_and_opened_under_the_name_given()
    {
        var path = Path.Combine(_dir.Outside, "disk.img");

        _backend.Create(path, 8192);
        await using var image = _backend.Open(path);

        Assert.False(_backend.IsConfined);
        Assert.Equal(path, image.Name);
        Assert.Equal(8192, image.Length);
    }

    [Fact]
    public async Task A_relative_path_is_taken_from_the_working_directory_dot_dots_included()
    {
        var path = _dir.PathOf("disk.img");
        File.WriteAllBytes(path, new byte[4096]);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);

        await using var image = _backend.Open(relative);

        Assert.Equal(path, image.Path);
    }

    [Fact]
    public async Task A_symlink_is_followed_and_the_image_behind_it_is_still_open_only_once()
    {
        var target = Path.Combine(_dir.Outside, "disk.img");
        File.WriteAllBytes(target, new byte[4096]);
        File.CreateSymbolicLink(_dir.PathOf("alias.img"), target);

        await using var image = _backend.Open(_dir.PathOf("alias.img"));
        var again = Assert.Throws<ImageLockedException>(() => _backend.Open(target));

        Assert.Equal(target, image.Path);
        Assert.Equal(ImageLockConflict.OpenOnThisHost, again.Conflict);
    }

    [Fact]
    public void A_missing_image_is_named_in_QEMUs_words()
    {
        var path = Path.Combine(_dir.Outside, "missing.img");

        var e = Assert.Throws<FileNotFoundException>(() => _backend.Open(path));

        Assert.Equal($"Could not open '{path}': No such file or directory", e.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("disk\0.img", "NUL")]
    [InlineData("disk\n.img", "control character")]
    public void A_name_no_image_can_have_is_still_refused(string name, string reason)
    {
        var e = Assert.Throws<ImagePathException>(() => _backend.Open(name));

        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void A_directory_is_not_an_image()
    {
        var open = Assert.Throws<ImagePathException>(() => _backend.Open(_dir.Outside));
        var create = Assert.Throws<ImagePathException>(() => _backend.Create(_dir.Outside + "/", 4096));

        Assert.Contains("not a regular file", open.Reason);
        Assert.Contains("names a directory", create.Reason);
    }

    [Fact]
    public void Creating_in_a_missing_directory_is_refused_naming_it()
    {
        var missing = Path.Combine(_dir.Outside, "nowhere");

        var e = Assert.Throws<ImagePathException>(() => _backend.Create(Path.Combine(missing, "disk.img"), 4096));

        Assert.Contains($"'{missing}' does not exist", e.Reason);
    }

    [Fact]
    public void Only_a_confined_backend_lists_images()
    {
        Assert.Throws<InvalidOperationException>(() => _backend.List());
    }
}
