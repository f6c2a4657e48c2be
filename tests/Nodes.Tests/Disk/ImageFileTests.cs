using Nodes.Disk;

namespace Nodes.Tests.Disk;

public sealed class ImageFileTests : IDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TempDataDir _dir = new();
    private readonly DiskBackend _backend;

    public ImageFileTests()
    {
        _backend = new DiskBackend(_dir.DataDir);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Data_written_at_an_offset_reads_back_at_that_offset()
    {
        _backend.Create("disk.img", 4 * MiB);
        await using var image = _backend.Open("disk.img");
        var data = Pattern(12345, seed: 7);

        await image.WriteAsync(MiB + 17, data);
        var back = new byte[data.Length];
        await image.ReadAsync(MiB + 17, back);

        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Holes_and_data_are_told_apart_and_a_punched_hole_is_seen_at_once()
    {
        _backend.Create("disk.img", 4 * MiB);
        await using var image = _backend.Open("disk.img");
        await image.WriteAsync(MiB, Pattern(MiB, seed: 5));

        var leading = image.IsDataAt(0, 4 * MiB, out var leadingLength);
        var inData = image.IsDataAt(MiB + 4096, 4 * MiB, out var dataLength);
        var trailing = image.IsDataAt(3 * MiB, MiB, out var trailingLength);
        await image.DiscardAsync(MiB, 64 * 1024);
        var punched = image.IsDataAt(MiB, MiB, out var punchedLength);

        Assert.Equal((false, (long)MiB), (leading, leadingLength));
        Assert.Equal((true, (long)MiB - 4096), (inData, dataLength));
        Assert.Equal((false, (long)MiB), (trailing, trailingLength));
        // The data extent found before was remembered; the discard must make it forgotten.
        Assert.Equal((false, 64L * 1024), (punched, punchedLength));
    }

    [Fact]
    public async Task A_new_image_is_sparse_and_reads_as_zeroes()
    {
        var info = _backend.Create("disk.img", 64L * MiB);
        await using var image = _backend.Open("disk.img", ImageOpenOptions.ReadOnly);
        var back = Pattern(4096, seed: 1);

        await image.ReadAsync(32L * MiB, back);

        Assert.Equal(64L * MiB, image.Length);
        Assert.True(info.AllocatedBytes < info.Size, $"allocated {info.AllocatedBytes} of {info.Size}");
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Reading_past_the_end_of_the_file_but_inside_the_image_returns_zeroes()
    {
        _backend.Create("disk.img", MiB);
        await using var image = _backend.Open("disk.img");
        await image.WriteAsync(0, Pattern(MiB, seed: 3));
        // Someone shrinks the file under the open image: the image keeps its size, the tail is a hole.
        using (var other = File.OpenHandle(_dir.PathOf("disk.img"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            RandomAccess.SetLength(other, 4096);
        }

        var back = Pattern(8192, seed: 9);
        await image.ReadAsync(0, back);

        Assert.Equal(Pattern(MiB, seed: 3).AsSpan(0, 4096).ToArray(), back.AsSpan(0, 4096).ToArray());
        Assert.All(back.AsSpan(4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(1024 * 1024 - 10, 11)]
    [InlineData(1024 * 1024, 1)]
    [InlineData(long.MaxValue, 1)]
    public async Task A_request_outside_the_image_is_refused_naming_the_image(long offset, int length)
    {
        _backend.Create("disk.img", MiB);
        await using var image = _backend.Open("disk.img");

        var read = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await image.ReadAsync(offset, new byte[length]));
        var write = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await image.WriteAsync(offset, new byte[length]));

        Assert.Contains("disk.img", read.Message);
        Assert.Contains("disk.img", write.Message);
    }

    [Fact]
    public async Task Discard_leaves_zeroes_and_gives_the_space_back()
    {
        _backend.Create("disk.img", 8 * MiB);
        await using var image = _backend.Open("disk.img");
        await image.WriteAsync(0, Pattern(8 * MiB, seed: 5));
        await image.FlushAsync();
        var before = _backend.GetInfo("disk.img").AllocatedBytes;

        await image.DiscardAsync(MiB, 4 * MiB);

        var back = new byte[6 * MiB];
        await image.ReadAsync(0, back);
        Assert.Equal(Pattern(8 * MiB, seed: 5).AsSpan(0, MiB).ToArray(), back.AsSpan(0, MiB).ToArray());
        Assert.All(back.AsSpan(MiB, 4 * MiB).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(Pattern(8 * MiB, seed: 5).AsSpan(5 * MiB, MiB).ToArray(), back.AsSpan(5 * MiB, MiB).ToArray());
        Assert.True(_backend.GetInfo("disk.img").AllocatedBytes < before, "the discarded range should be deallocated");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Write_zeroes_leaves_zeroes_and_keeps_the_neighbours(bool mayUnmap)
    {
        _backend.Create("disk.img", 2 * MiB);
        await using var image = _backend.Open("disk.img");
        var data = Pattern(2 * MiB, seed: 11);
        await image.WriteAsync(0, data);

        await image.WriteZeroesAsync(1000, 70000, mayUnmap);

        var back = new byte[2 * MiB];
        await image.ReadAsync(0, back);
        Assert.Equal(data.AsSpan(0, 1000).ToArray(), back.AsSpan(0, 1000).ToArray());
        Assert.All(back.AsSpan(1000, 70000).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(data.AsSpan(71000).ToArray(), back.AsSpan(71000).ToArray());
    }

    [Fact]
    public async Task Flushed_and_fua_writes_are_there_after_reopening()
    {
        _backend.Create("disk.img", MiB);
        await using (var image = _backend.Open("disk.img"))
        {
            await image.WriteAsync(0, Pattern(4096, seed: 1));
            await image.FlushAsync();
            await image.WriteAsync(4096, Pattern(4096, seed: 2), fua: true);
        }

        await using var reopened = _backend.Open("disk.img", ImageOpenOptions.ReadOnly);
        var back = new byte[8192];
        await reopened.ReadAsync(0, back);
        Assert.Equal(Pattern(4096, seed: 1), back.AsSpan(0, 4096).ToArray());
        Assert.Equal(Pattern(4096, seed: 2), back.AsSpan(4096).ToArray());
    }

    [Fact]
    public async Task Many_concurrent_writes_at_different_offsets_all_land()
    {
        const int Requests = 128;
        const int Size = 64 * 1024;
        _backend.Create("disk.img", Requests * Size);
        await using var image = _backend.Open("disk.img");

        // Interleaved order so neighbours are in flight together.
        var writes = Enumerable.Range(0, Requests)
            .Select(i => (i * 37) % Requests)
            .Select(i => image.WriteAsync((long)i * Size, Pattern(Size, seed: i)).AsTask());
        await Task.WhenAll(writes);

        var reads = Enumerable.Range(0, Requests).Select(async i =>
        {
            var back = new byte[Size];
            await image.ReadAsync((long)i * Size, back);
            return (i, back);
        });
        foreach (var (i, back) in await Task.WhenAll(reads))
        {
            Assert.Equal(Pattern(Size, seed: i), back);
        }
    }

    [Fact]
    public async Task Resize_grows_with_zeroes_and_shrinks_the_image()
    {
        _backend.Create("disk.img", MiB);
        await using var image = _backend.Open("disk.img");
        await image.WriteAsync(0, Pattern(MiB, seed: 4));

        image.Resize(3 * MiB);
        var grown = Pattern(MiB, seed: 8);
        await image.ReadAsync(2 * MiB, grown);
        image.Resize(MiB / 2);

        Assert.All(grown, b => Assert.Equal(0, b));
        Assert.Equal(MiB / 2, image.Length);
        Assert.Equal(MiB / 2, _backend.GetInfo("disk.img").Size);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await image.ReadAsync(MiB / 2, new byte[1]));
    }

    [Fact]
    public async Task A_read_only_image_refuses_writes_discards_and_resizes()
    {
        _backend.Create("disk.img", MiB);
        await using var image = _backend.Open("disk.img", ImageOpenOptions.ReadOnly);

        var write = Assert.Throws<InvalidOperationException>(() => { _ = image.WriteAsync(0, new byte[512]); });
        Assert.Throws<InvalidOperationException>(() => { _ = image.DiscardAsync(0, 512); });
        Assert.Throws<InvalidOperationException>(() => { _ = image.WriteZeroesAsync(0, 512, mayUnmap: true); });
        Assert.Throws<InvalidOperationException>(() => image.Resize(2 * MiB));
        Assert.Contains("disk.img", write.Message);
    }

    [Fact]
    public async Task A_closed_image_refuses_requests_and_can_be_opened_again()
    {
        _backend.Create("disk.img", MiB);
        var image = _backend.Open("disk.img");
        image.Close();
        image.Close();

        Assert.True(image.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => { _ = image.ReadAsync(0, new byte[512]); });
        Assert.False(_backend.IsOpen("disk.img"));
        await using var again = _backend.Open("disk.img");
        Assert.Equal(MiB, again.Length);
    }

    /// <summary>Deterministic bytes that differ per seed and per position.</summary>
    internal static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
