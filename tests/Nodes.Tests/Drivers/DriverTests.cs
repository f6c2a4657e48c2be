using Nodes.Drivers;
using Nodes.Tests.Samples;

namespace Nodes.Tests.Drivers;

public sealed class DriverTests
{
    private readonly LoopFixture _fixture = new();

    [Fact]
    public async Task Null_co_reads_zeroes_and_refuses_requests_past_its_size()
    {
        var node = _fixture.Open("null-co", "null0", "size=1M,read-zeroes=on");
        var buffer = new byte[4096];
        Array.Fill(buffer, (byte)0xAA);
        await _fixture.Run(() => node.ReadAsync(0, buffer).AsTask());
        Assert.All(buffer, b => Assert.Equal(0, b));
        // Without read-zeroes too: the buffer may be a pooled one holding another client's data.
        var unasked = _fixture.Open("null-co", "null1", "size=1M");
        Array.Fill(buffer, (byte)0xAA);
        await _fixture.Run(() => unasked.ReadAsync(0, buffer).AsTask());
        Assert.All(buffer, b => Assert.Equal(0, b));

        var outside = _fixture.Run(() => node.ReadAsync((1 << 20) - 100, buffer).AsTask());
        Assert.Equal(Errno.EINVAL, Assert.IsType<BlockIOException>(outside.Exception!.InnerException).Errno);
    }

    /// <summary>  raw0 (offset=4k, size=8k) ─file→ mem0 (64k)  </summary>
    [Fact]
    public async Task Raw_with_a_window_maps_offsets_into_its_file_and_stays_inside_the_window()
    {
        var file = new MemoryNode(new Nodes.Drivers.NodeSettings("mem0", System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty, _fixture.Clock), 65536);
        var raw = _fixture.Open("raw", "raw0", "offset=4k,size=8k", ("file", file));
        Assert.Equal(8192, raw.Length);

        await _fixture.Run(() => raw.WriteAsync(0, new byte[] { 1, 2, 3 }, fua: false).AsTask());
        Assert.Equal(new byte[] { 1, 2, 3 }, file.Bytes[4096..4099]);
        Assert.True(_fixture.Run(() => raw.WriteAsync(8190, new byte[4], fua: false).AsTask()).IsFaulted);
    }

    [Fact]
    public void Raw_whose_window_does_not_fit_its_file_fails_to_open_naming_the_node()
    {
        var file = new MemoryNode(new NodeSettings("mem0", System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty, _fixture.Clock), 4096);
        var error = Assert.ThrowsAny<Exception>(() => _fixture.Open("raw", "raw0", "offset=1k,size=4k", ("file", file)));
        Assert.Contains("raw0", error.ToString());
    }

    [Fact]
    public void Throttle_lets_a_burst_through_then_releases_queued_requests_in_order_as_time_passes()
    {
        var below = _fixture.Open("null-co", "null0");
        var throttle = (ThrottleNode)_fixture.Open("throttle", "thr0", "iops-total=10", ("file", below));
        var completed = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            var n = i;
            _ = _fixture.Run(async () =>
            {
                await throttle.ReadAsync(0, new byte[512]);
                completed.Add(n);
            });
        }
        // A bucket of a tenth of a second at 10 IOPS admits one request, then the level must leak.
        Assert.Equal([0, 1], completed);
        Assert.Equal(3, throttle.Queued);

        _fixture.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([0, 1, 2, 3, 4], completed);
        Assert.Equal(0, throttle.Queued);
    }

    [Fact]
    public void Throttle_limits_bytes_per_second_for_writes_only_when_asked()
    {
        var below = _fixture.Open("null-co", "null0");
        var throttle = (ThrottleNode)_fixture.Open("throttle", "thr0", "bps-write=1M", ("file", below));
        var reads = Enumerable.Range(0, 10).Select(_ => _fixture.Run(() => throttle.ReadAsync(0, new byte[1 << 20]).AsTask())).ToList();
        Assert.All(reads, r => Assert.True(r.IsCompletedSuccessfully));

        var writes = Enumerable.Range(0, 3).Select(_ => _fixture.Run(() => throttle.WriteAsync(0, new byte[1 << 20], false).AsTask())).ToList();
        Assert.True(writes[0].IsCompletedSuccessfully);
        Assert.False(writes[2].IsCompleted);
        _fixture.Advance(TimeSpan.FromSeconds(3));
        Assert.All(writes, w => Assert.True(w.IsCompletedSuccessfully));
    }

    [Fact]
    public void A_burst_limit_lower_than_the_average_is_refused()
    {
        var below = _fixture.Open("null-co", "null0");
        Assert.ThrowsAny<ArgumentException>(() => _fixture.Open("throttle", "thr0", "iops-total=100,iops-total-max=10", ("file", below)));
    }

    [Fact]
    public void Blkdebug_fails_the_nth_matching_request_with_the_chosen_errno_and_only_that_one()
    {
        var below = _fixture.Open("null-co", "null0");
        var debug = (BlkDebugNode)_fixture.Open("blkdebug", "dbg0", "fail-nth=2,fail-op=write,errno=ENOSPC", ("file", below));

        Assert.True(_fixture.Run(() => debug.WriteAsync(0, new byte[1], false).AsTask()).IsCompletedSuccessfully);
        Assert.True(_fixture.Run(() => debug.ReadAsync(0, new byte[1]).AsTask()).IsCompletedSuccessfully);
        var failed = _fixture.Run(() => debug.WriteAsync(0, new byte[1], false).AsTask());
        Assert.Equal(Errno.ENOSPC, Assert.IsType<BlockIOException>(failed.Exception!.InnerException).Errno);
        Assert.True(_fixture.Run(() => debug.WriteAsync(0, new byte[1], false).AsTask()).IsCompletedSuccessfully);
        Assert.Equal(1, debug.Injected);
    }

    [Fact]
    public void Blkdebug_delays_every_request_on_the_iothreads_clock()
    {
        var below = _fixture.Open("null-co", "null0");
        var debug = _fixture.Open("blkdebug", "dbg0", "delay-us=5000", ("file", below));
        var read = _fixture.Run(() => debug.ReadAsync(0, new byte[1]).AsTask());
        Assert.False(read.IsCompleted);
        _fixture.Advance(TimeSpan.FromMilliseconds(4));
        Assert.False(read.IsCompleted);
        _fixture.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(read.IsCompletedSuccessfully);
    }

    [Fact]
    public void Blkdebug_with_close_delay_closes_only_after_the_delay_on_the_iothreads_clock()
    {
        var below = _fixture.Open("null-co", "null0");
        var debug = _fixture.Open("blkdebug", "dbg0", "close-delay-us=5000", ("file", below));
        var close = _fixture.Run(() => debug.CloseAsync().AsTask());
        Assert.False(close.IsCompleted);
        _fixture.Advance(TimeSpan.FromMilliseconds(4));
        Assert.False(close.IsCompleted);
        _fixture.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(close.IsCompletedSuccessfully);
    }

    [Fact]
    public void Unknown_options_values_are_refused_naming_the_node_and_option()
    {
        var below = _fixture.Open("null-co", "null0");
        var error = Assert.ThrowsAny<ArgumentException>(() => _fixture.Open("blkdebug", "dbg0", "fail-op=sometimes", ("file", below)));
        Assert.Contains("dbg0", error.Message);
        Assert.Contains("fail-op", error.Message);
    }
}
