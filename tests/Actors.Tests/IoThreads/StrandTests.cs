using Actors.IoThreads;
using Akka.TestKit.Xunit2;

namespace Actors.Tests.IoThreads;

/// <summary>The strand: one owner's callbacks in order, one at a time, on the loop it belongs to now.</summary>
public sealed class StrandTests : TestKit
{
    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(20));

    private readonly EventLoop _a = new("a");
    private readonly EventLoop _b = new("b");

    public StrandTests()
    {
        _a.StartThread();
        _b.StartThread();
    }

    [Fact]
    public async Task Callbacks_run_in_posting_order_on_the_home_loop_inside_the_strand()
    {
        var strand = new Strand(() => _a);
        var seen = new List<(int Index, bool OnA, bool InStrand)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        for (var i = 0; i < 100; i++)
        {
            var index = i;
            strand.Post(_ => seen.Add((index, _a.IsCurrent, strand.IsCurrent)), null);
        }
        strand.Post(_ => done.SetResult(), null);
        await done.Task.WaitAsync(Timeout);

        Assert.Equal(Enumerable.Range(0, 100), seen.Select(s => s.Index));
        Assert.All(seen, s => Assert.True(s.OnA && s.InStrand));
    }

    /// <summary>
    /// Four threads post while the home flips between two loops: no two callbacks ever overlap,
    /// each poster's callbacks keep their order, and none is lost.
    /// </summary>
    [Fact]
    public async Task Callbacks_never_overlap_and_keep_order_while_the_home_flips_between_loops()
    {
        const int posters = 4;
        const int perPoster = 20_000;
        var home = _a;
        var strand = new Strand(() => Volatile.Read(ref home));
        var running = 0;
        var overlaps = 0;
        var last = new int[posters];
        var disorder = 0;
        var count = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var threads = Enumerable.Range(0, posters).Select(p => new Thread(() =>
        {
            for (var i = 1; i <= perPoster; i++)
            {
                var index = i;
                strand.Post(_ =>
                {
                    if (Interlocked.Increment(ref running) != 1)
                    {
                        overlaps++;
                    }
                    if (last[p] != index - 1)
                    {
                        disorder++;
                    }
                    last[p] = index;
                    if (++count == posters * perPoster)
                    {
                        done.SetResult();
                    }
                    Interlocked.Decrement(ref running);
                }, null);
                if (i % 500 == 0)
                {
                    Volatile.Write(ref home, home == _a ? _b : _a);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        await done.Task.WaitAsync(Timeout);

        Assert.Equal(0, overlaps);
        Assert.Equal(0, disorder);
        Assert.All(last, l => Assert.Equal(perPoster, l));
    }

    [Fact]
    public async Task Code_that_entered_the_strand_resumes_in_it_after_an_await_and_follows_a_move()
    {
        var home = _a;
        var strand = new Strand(() => home);
        var result = new TaskCompletionSource<(bool, bool, bool, bool)>(TaskCreationOptions.RunContinuationsAsynchronously);

        _ = Task.Run(async () =>
        {
            await strand.Enter();
            var enteredOnA = _a.IsCurrent && strand.IsCurrent;
            await Task.Delay(1);
            var afterAwaitOnA = _a.IsCurrent && strand.IsCurrent;
            home = _b;
            await Task.Yield();
            result.SetResult((enteredOnA, afterAwaitOnA, _b.IsCurrent, strand.IsCurrent));
        });

        Assert.Equal((true, true, true, true), await result.Task.WaitAsync(Timeout));
    }

    [Fact]
    public void Send_is_refused_because_it_would_block_a_loop()
    {
        var strand = new Strand(() => _a);

        Assert.Throws<NotSupportedException>(() => strand.Send(_ => { }, null));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _a.Dispose();
        _b.Dispose();
    }
}
