using Actors.IoThreads;
using Nodes.Disk;

namespace Nodes.Tests.Disk;

/// <summary>
/// An image's requests made on an IoThread's loop, as a node makes them: they land, resume on the
/// loop, and keep FUA and flush semantics, whether the loop's write worker serves the writes
/// (<see cref="ImageFileOnIoWorkerTests"/>) or the .NET thread pool does (<see cref="ImageFileOnLoopWithoutIoWorkerTests"/>).
/// </summary>
public abstract class ImageFileOnIoThreadTests : IDisposable
{
    private const int MiB = 1024 * 1024;

    private readonly TempDataDir _dir = new();

    protected ImageFileOnIoThreadTests(bool ioWorker)
    {
        Backend = new DiskBackend(_dir.DataDir);
        Loop = new EventLoop("image", ioWorker: ioWorker);
    }

    protected DiskBackend Backend { get; }

    protected EventLoop Loop { get; }

    public void Dispose()
    {
        Loop.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Writes_flushes_and_fua_writes_land_and_resume_on_the_loop()
    {
        Backend.Create("disk.img", MiB);
        await using (var image = Backend.Open("disk.img"))
        {
            var resumedOnLoop = await OnLoopAsync(async () =>
            {
                await image.WriteAsync(0, ImageFileTests.Pattern(4096, seed: 1));
                var afterWrite = Loop.IsCurrent;
                await image.FlushAsync();
                var afterFlush = Loop.IsCurrent;
                await image.WriteAsync(4096, ImageFileTests.Pattern(4096, seed: 2), fua: true);
                return afterWrite && afterFlush && Loop.IsCurrent;
            });
            Assert.True(resumedOnLoop);
        }

        await using var reopened = Backend.Open("disk.img", ImageOpenOptions.ReadOnly);
        var back = new byte[8192];
        await reopened.ReadAsync(0, back);
        Assert.Equal(ImageFileTests.Pattern(4096, seed: 1), back[..4096]);
        Assert.Equal(ImageFileTests.Pattern(4096, seed: 2), back[4096..]);
    }

    [Fact]
    public async Task More_concurrent_writes_than_the_worker_holds_all_land()
    {
        const int Requests = 1200;
        const int Size = 4096;
        Backend.Create("disk.img", Requests * Size);
        await using var image = Backend.Open("disk.img");

        await OnLoopAsync(async () =>
        {
            var writes = Enumerable.Range(0, Requests)
                .Select(i => (i * 37) % Requests)
                .Select(i => image.WriteAsync((long)i * Size, ImageFileTests.Pattern(Size, seed: i)).AsTask())
                .ToList();
            await Task.WhenAll(writes);
            return true;
        });

        var back = new byte[Size];
        for (var i = 0; i < Requests; i += 97)
        {
            await image.ReadAsync((long)i * Size, back);
            Assert.Equal(ImageFileTests.Pattern(Size, seed: i), back);
        }
    }

    [Fact]
    public async Task A_read_the_page_cache_cannot_serve_reads_from_the_file_and_zeroes_past_its_end()
    {
        Backend.Create("disk.img", 4 * MiB);
        var data = ImageFileTests.Pattern(MiB, seed: 6);
        await using var image = Backend.Open("disk.img");
        await image.WriteAsync(MiB, data);
        // The file is cut short under the open image: its tail now reads as a hole.
        using (var other = File.OpenHandle(_dir.PathOf("disk.img"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            RandomAccess.SetLength(other, MiB + 8192);
        }

        // Never-touched pages of a sparse file are not cached: these reads go to the thread pool.
        var (hole, tail) = await OnLoopAsync(async () =>
        {
            var hole = ImageFileTests.Pattern(64 * 1024, seed: 1);
            await image.ReadAsync(0, hole);
            var tail = ImageFileTests.Pattern(16384, seed: 2);
            await image.ReadAsync(MiB, tail);
            return (hole, tail);
        });

        Assert.All(hole, b => Assert.Equal(0, b));
        Assert.Equal(data[..8192], tail[..8192]);
        Assert.All(tail[8192..], b => Assert.Equal(0, b));
    }

    protected Task<T> OnLoopAsync<T>(Func<Task<T>> work) => Loop.RunAsync(work).WaitAsync(TimeSpan.FromSeconds(30));
}

/// <summary>The loop's worker serves the writes.</summary>
public sealed class ImageFileOnIoWorkerTests() : ImageFileOnIoThreadTests(ioWorker: true)
{
    [Fact]
    public async Task A_write_on_the_loop_is_a_request_of_its_worker_and_one_off_the_loop_is_not()
    {
        Backend.Create("disk.img", 1024 * 1024);
        await using var image = Backend.Open("disk.img");

        var (onLoop, afterwards) = await OnLoopAsync(async () =>
        {
            var write = image.WriteAsync(0, new byte[4096]);
            var inFlight = Loop.IoWorker!.InFlight;
            await write;
            return (inFlight, Loop.IoWorker.InFlight);
        });
        var offLoop = image.WriteAsync(4096, new byte[4096]);
        var workerAfterOffLoop = await OnLoopAsync(() => Task.FromResult(Loop.IoWorker!.InFlight));
        await offLoop;

        Assert.Equal((1, 0), (onLoop, afterwards));
        Assert.Equal(0, workerAfterOffLoop);
    }
}

/// <summary>The loop has no worker: the thread pool serves the writes, which resume on the loop all the same.</summary>
public sealed class ImageFileOnLoopWithoutIoWorkerTests() : ImageFileOnIoThreadTests(ioWorker: false);
