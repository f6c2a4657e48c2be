using Actors.IoThreads;
using Akka.TestKit.Xunit2;
using Microsoft.Win32.SafeHandles;

namespace Actors.Tests.IoThreads;

/// <summary>
/// An event loop's io_uring (<see cref="IoRing"/>): requests made on the loop complete on it, with
/// their awaiters resumed inline; failures carry the errno; a full ring refuses instead of
/// overflowing; a loop that stops completes what is in flight. Skipped where io_uring is not
/// available (the ring is then null and callers keep the thread pool).
/// </summary>
public sealed class IoRingTests : TestKit, IDisposable
{
    private readonly EventLoop _loop = new("ring");
    private readonly string _dir = Directory.CreateTempSubdirectory("ioring-").FullName;

    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(20));

    [IoRingFact]
    public async Task A_write_lands_and_its_awaiter_resumes_on_the_loop()
    {
        using var file = OpenFile("a.img", FileAccess.ReadWrite);
        var data = Pattern(12345);

        var resumedOnLoop = await OnLoopAsync(async ring =>
        {
            Assert.True(ring.TryWrite(file, data, 4096, "file 'a.img'", out var write));
            await write;
            return _loop.IsCurrent;
        });

        Assert.True(resumedOnLoop);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_dir, "a.img"))[4096..]);
    }

    [IoRingFact]
    public async Task A_read_returns_what_is_there_and_stops_short_at_the_end_of_the_file()
    {
        var data = Pattern(10000);
        File.WriteAllBytes(Path.Combine(_dir, "r.img"), data);
        using var file = OpenFile("r.img", FileAccess.Read);
        var buffer = new byte[8192];

        var (first, second) = await OnLoopAsync(async ring =>
        {
            Assert.True(ring.TryRead(file, buffer.AsMemory(0, 4096), 100, out var read));
            var first = await read;
            var copy = buffer[..4096];
            Assert.True(ring.TryRead(file, buffer, 6000, out read));
            return (first, (await read, copy));
        });

        Assert.Equal(4096, first);
        Assert.Equal(data[100..4196], second.copy);
        Assert.Equal(4000, second.Item1);
        Assert.Equal(data[6000..], buffer[..4000]);
    }

    [IoRingFact]
    public async Task A_failed_write_throws_an_IOException_naming_the_subject_and_the_errno()
    {
        using var file = OpenFile("ro.img", FileAccess.Read);

        var failure = await OnLoopAsync(async ring =>
        {
            Assert.True(ring.TryWrite(file, Pattern(512), 0, "image 'ro.img'", out var write));
            return await Assert.ThrowsAsync<IOException>(async () => await write);
        });

        // The descriptor was opened for reading only: EBADF.
        Assert.StartsWith("image 'ro.img': write of 512 bytes at 0 failed:", failure.Message);
        Assert.EndsWith("(errno 9)", failure.Message);
    }

    [IoRingFact]
    public async Task A_data_sync_answers_zero_or_minus_the_errno()
    {
        using var file = OpenFile("s.img", FileAccess.ReadWrite);
        using var device = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);

        var (synced, refused) = await OnLoopAsync(async ring =>
        {
            Assert.True(ring.TryDataSync(file, out var sync));
            var synced = await sync;
            Assert.True(ring.TryDataSync(device, out sync));
            return (synced, await sync);
        });

        Assert.Equal(0, synced);
        // A character device without fsync: EINVAL.
        Assert.Equal(-22, refused);
    }

    [IoRingFact]
    public async Task A_full_ring_refuses_a_request_and_takes_one_again_once_a_request_completed()
    {
        using var file = OpenFile("f.img", FileAccess.ReadWrite);
        var data = Pattern(4096);

        var (accepted, refusedWhenFull, acceptedAfter) = await OnLoopAsync(async ring =>
        {
            var writes = new List<ValueTask>();
            while (ring.TryWrite(file, data, writes.Count * 4096L, "f", out var write))
            {
                writes.Add(write);
            }
            var refused = !ring.TryWrite(file, data, 0, "f", out _);
            foreach (var write in writes)
            {
                await write;
            }
            var again = ring.TryWrite(file, data, 0, "f", out var last);
            await last;
            return (writes.Count, refused, again);
        });

        Assert.True(accepted >= 256, $"only {accepted} requests fit");
        Assert.True(refusedWhenFull);
        Assert.True(acceptedAfter);
        Assert.Equal(accepted * 4096L, new FileInfo(Path.Combine(_dir, "f.img")).Length);
    }

    [IoRingFact]
    public async Task A_loop_that_stops_completes_the_requests_in_flight_first()
    {
        using var file = OpenFile("d.img", FileAccess.ReadWrite);
        var data = Pattern(64 * 1024);

        var writing = await OnLoopAsync(ring =>
        {
            var writes = new List<Task>();
            for (var i = 0; i < 32; i++)
            {
                Assert.True(ring.TryWrite(file, data, i * (long)data.Length, "d", out var write));
                writes.Add(write.AsTask());
            }
            return Task.FromResult(Task.WhenAll(writes));
        });
        _loop.Dispose();

        await writing.WaitAsync(Timeout);
        Assert.Equal(32L * data.Length, new FileInfo(Path.Combine(_dir, "d.img")).Length);
    }

    [Fact]
    public async Task A_loop_made_without_io_uring_has_no_ring()
    {
        using var loop = new EventLoop("no-ring", ioRing: false);

        var ring = await loop.RunAsync(() => Task.FromResult(loop.Ring));

        Assert.Null(ring);
    }

    public new void Dispose()
    {
        _loop.Dispose();
        Directory.Delete(_dir, recursive: true);
        base.Dispose();
    }

    /// <summary>Runs <paramref name="work"/> on the loop with its ring.</summary>
    private async Task<T> OnLoopAsync<T>(Func<IoRing, Task<T>> work)
    {
        var ring = await _loop.RunAsync(() => Task.FromResult(_loop.Ring));
        Assert.NotNull(ring);
        return await _loop.RunAsync(() => work(ring)).WaitAsync(Timeout);
    }

    private SafeFileHandle OpenFile(string name, FileAccess access) =>
        File.OpenHandle(Path.Combine(_dir, name), access == FileAccess.Read ? FileMode.OpenOrCreate : FileMode.Create, access, FileShare.ReadWrite);

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + (i >> 9));
        }
        return data;
    }
}
