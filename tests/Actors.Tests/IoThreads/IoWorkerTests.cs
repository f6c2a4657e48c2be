using Actors.IoThreads;
using Akka.TestKit.Xunit2;
using Microsoft.Win32.SafeHandles;

namespace Actors.Tests.IoThreads;

/// <summary>
/// An event loop's write worker (<see cref="IoWorker"/>): writes made on the loop complete
/// on it, with their awaiters resumed inline; failures carry the errno; a full worker refuses
/// instead of queueing without end; a loop that stops completes what is in flight.
/// </summary>
public sealed class IoWorkerTests : TestKit, IDisposable
{
    private readonly EventLoop _loop = new("worker");
    private readonly string _dir = Directory.CreateTempSubdirectory("ioworker-").FullName;

    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(20));

    [Fact]
    public async Task A_write_lands_and_its_awaiter_resumes_on_the_loop()
    {
        using var file = OpenFile("a.img", FileAccess.ReadWrite);
        var data = Pattern(12345);

        var resumedOnLoop = await OnLoopAsync(async worker =>
        {
            Assert.True(worker.TryWrite(file, data, 4096, "file 'a.img'", out var write));
            await write;
            return _loop.IsCurrent;
        });

        Assert.True(resumedOnLoop);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_dir, "a.img"))[4096..]);
    }

    [Fact]
    public async Task Consecutive_writes_of_one_batch_land_each_at_its_offset()
    {
        using var file = OpenFile("seq.img", FileAccess.ReadWrite);
        var chunks = Enumerable.Range(0, 100).Select(i => Pattern(4096 + i % 3 * 512, seed: i)).ToArray();
        var offsets = new long[chunks.Length];
        for (var i = 1; i < chunks.Length; i++)
        {
            // One gap, so the batch is two runs of writes that continue one another.
            offsets[i] = offsets[i - 1] + chunks[i - 1].Length + (i == 50 ? 4096 : 0);
        }

        await OnLoopAsync(async worker =>
        {
            var writes = new List<ValueTask>();
            for (var i = 0; i < chunks.Length; i++)
            {
                Assert.True(worker.TryWrite(file, chunks[i], offsets[i], "seq", out var write));
                writes.Add(write);
            }
            foreach (var write in writes)
            {
                await write;
            }
            return true;
        });

        var written = File.ReadAllBytes(Path.Combine(_dir, "seq.img"));
        for (var i = 0; i < chunks.Length; i++)
        {
            Assert.Equal(chunks[i], written.AsSpan((int)offsets[i], chunks[i].Length).ToArray());
        }
    }

    [Fact]
    public async Task Consecutive_writes_that_fail_each_throw_their_own_error()
    {
        using var file = OpenFile("ro-seq.img", FileAccess.Read);

        var failures = await OnLoopAsync(async worker =>
        {
            var writes = new List<ValueTask>();
            for (var i = 0; i < 3; i++)
            {
                Assert.True(worker.TryWrite(file, Pattern(512), i * 512L, "image 'ro-seq.img'", out var write));
                writes.Add(write);
            }
            var failures = new List<string>();
            foreach (var write in writes)
            {
                failures.Add((await Assert.ThrowsAsync<IOException>(async () => await write)).Message);
            }
            return failures;
        });

        Assert.Equal(
            [0, 512, 1024],
            failures.Select(m => long.Parse(m.Split(" at ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(failures, m => Assert.EndsWith("(errno 9)", m));
    }

    [Fact]
    public async Task A_failed_write_throws_an_IOException_naming_the_subject_and_the_errno()
    {
        using var file = OpenFile("ro.img", FileAccess.Read);

        var failure = await OnLoopAsync(async worker =>
        {
            Assert.True(worker.TryWrite(file, Pattern(512), 0, "image 'ro.img'", out var write));
            return await Assert.ThrowsAsync<IOException>(async () => await write);
        });

        // The descriptor was opened for reading only: EBADF.
        Assert.StartsWith("image 'ro.img': write of 512 bytes at 0 failed:", failure.Message);
        Assert.EndsWith("(errno 9)", failure.Message);
    }

    [Fact]
    public async Task A_full_worker_refuses_a_request_and_takes_one_again_once_a_request_completed()
    {
        using var file = OpenFile("f.img", FileAccess.ReadWrite);
        var data = Pattern(4096);

        var (accepted, refusedWhenFull, acceptedAfter) = await OnLoopAsync(async worker =>
        {
            var writes = new List<ValueTask>();
            while (worker.TryWrite(file, data, writes.Count * 4096L, "f", out var write))
            {
                writes.Add(write);
            }
            var refused = !worker.TryWrite(file, data, 0, "f", out _);
            foreach (var write in writes)
            {
                await write;
            }
            var again = worker.TryWrite(file, data, 0, "f", out var last);
            await last;
            return (writes.Count, refused, again);
        });

        Assert.Equal(IoWorker.Capacity, accepted);
        Assert.True(refusedWhenFull);
        Assert.True(acceptedAfter);
        Assert.Equal(accepted * 4096L, new FileInfo(Path.Combine(_dir, "f.img")).Length);
    }

    [Fact]
    public async Task A_loop_that_stops_completes_the_requests_in_flight_first()
    {
        using var file = OpenFile("d.img", FileAccess.ReadWrite);
        var data = Pattern(64 * 1024);

        var writing = await OnLoopAsync(worker =>
        {
            var writes = new List<Task>();
            for (var i = 0; i < 32; i++)
            {
                Assert.True(worker.TryWrite(file, data, i * (long)data.Length, "d", out var write));
                writes.Add(write.AsTask());
            }
            return Task.FromResult(Task.WhenAll(writes));
        });
        _loop.Dispose();

        await writing.WaitAsync(Timeout);
        Assert.Equal(32L * data.Length, new FileInfo(Path.Combine(_dir, "d.img")).Length);
    }

    [Fact]
    public async Task A_loop_made_without_a_worker_has_none()
    {
        using var loop = new EventLoop("no-worker", ioWorker: false);

        var worker = await loop.RunAsync(() => Task.FromResult(loop.IoWorker));

        Assert.Null(worker);
    }

    [Fact]
    public void A_manual_loop_hands_its_requests_over_at_the_end_of_the_iteration_and_completes_them_in_a_later_one()
    {
        using var loop = new EventLoop("manual", manual: true);
        using var file = OpenFile("m.img", FileAccess.ReadWrite);
        ValueTask write = default;
        var queued = false;
        loop.ScheduleOneShot(() => queued = loop.IoWorker!.TryWrite(file, Pattern(4096), 0, "m", out write));

        loop.RunOnce();
        var completedInThatIteration = write.IsCompleted;
        var steps = 0;
        while (!write.IsCompleted && steps++ < 100_000)
        {
            loop.RunOnce();
        }

        Assert.True(queued);
        Assert.False(completedInThatIteration);
        Assert.True(write.IsCompletedSuccessfully);
        Assert.Equal(Pattern(4096), File.ReadAllBytes(Path.Combine(_dir, "m.img")));
    }

    public new void Dispose()
    {
        _loop.Dispose();
        Directory.Delete(_dir, recursive: true);
        base.Dispose();
    }

    /// <summary>Runs <paramref name="work"/> on the loop with its worker.</summary>
    private Task<T> OnLoopAsync<T>(Func<IoWorker, Task<T>> work) =>
        _loop.RunAsync(() => work(_loop.IoWorker!)).WaitAsync(Timeout);

    private SafeFileHandle OpenFile(string name, FileAccess access) =>
        File.OpenHandle(Path.Combine(_dir, name), access == FileAccess.Read ? FileMode.OpenOrCreate : FileMode.Create, access, FileShare.ReadWrite);

    private static byte[] Pattern(int length, int seed = 0)
    {
        var data = new byte[length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + (i >> 9) + seed * 13);
        }
        return data;
    }
}
