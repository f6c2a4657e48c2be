using System.Diagnostics;
using Nodes.Nbd;

namespace Host.Demo;

/// <summary>
/// The demo's I/O: on every NBD connection, <c>depth</c> workers each keep one 4 KiB request in
/// flight: a write of the block's next generation, a read checked against the model, now and then
/// a flush. Each worker draws from its own generator, seeded from the run's seed, the connection
/// and its slot, so a seed replays the same choices.
/// </summary>
public sealed class IoWorkload(BlockModel model, DemoOptions options)
{
    private readonly Stopwatch _clock = new();
    private long _issued;
    private long _reads;
    private long _writes;
    private long _flushes;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>Requests completed.</summary>
    public long Completed => Reads + Writes + Flushes;

    /// <summary>How long the I/O ran (runs on while it runs).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>How much of the budget (the duration, or the request count) is used, 0 to 1.</summary>
    public double Progress => Math.Min(1, options.Requests is { } requests
        ? (double)Completed / requests
        : Elapsed / options.Duration);

    /// <summary>
    /// Runs the I/O over <paramref name="clients"/> until the budget is used or
    /// <paramref name="cancellationToken"/> fires. The first failure (an NBD error, a block that
    /// reads back wrong) ends it and is thrown, naming the connection and the block.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<NbdClient> clients, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _clock.Start();
        try
        {
            await Task.WhenAll(clients.SelectMany((client, c) => Enumerable.Range(0, options.Depth).Select(async slot =>
            {
                try
                {
                    await WorkerAsync(client, c, slot, failed.Token);
                }
                catch
                {
                    // Fail fast: the other workers stop after their current request.
                    await failed.CancelAsync();
                    throw;
                }
            })));
        }
        finally
        {
            _clock.Stop();
        }
    }

    private async Task WorkerAsync(NbdClient client, int connection, int slot, CancellationToken cancellationToken)
    {
        // Off the caller's stack: every worker runs on its own from its first request on.
        await Task.Yield();
        var random = new Random(WorkerSeed(options.Seed, connection, slot));
        var buffer = new byte[BlockPattern.BlockSize];
        while (!cancellationToken.IsCancellationRequested && TakeRequest())
        {
            await RequestAsync(client, connection, random, buffer);
        }
    }

    private async Task RequestAsync(NbdClient client, int connection, Random random, byte[] buffer)
    {
        var choice = random.Next(100);
        if (choice >= 98)
        {
            await client.FlushAsync();
            Interlocked.Increment(ref _flushes);
            return;
        }
        var block = model.Reserve(random.NextInt64(model.Blocks));
        try
        {
            var offset = block * BlockPattern.BlockSize;
            var generation = model.Generation(block);
            if (choice < 55)
            {
                BlockPattern.Fill(buffer, block, generation + 1, options.Seed);
                await client.WriteAsync(offset, buffer);
                model.Written(block, generation + 1);
                Interlocked.Increment(ref _writes);
            }
            else
            {
                await client.ReadAsync(offset, buffer);
                if (!BlockPattern.Matches(buffer, block, generation, options.Seed))
                {
                    throw new DemoCheckException(
                        $"block {block} (offset {offset}) read over NBD connection {connection} holds {BlockPattern.Describe(buffer, options.Seed)}, expected generation {generation}");
                }
                Interlocked.Increment(ref _reads);
            }
        }
        finally
        {
            model.Release(block);
        }
    }

    /// <summary>
    /// A worker's seed from the run's (SplitMix64's finaliser): the same in every process, unlike
    /// <see cref="HashCode"/>, which is randomised per process and would break <c>--seed</c> replays.
    /// </summary>
    private static int WorkerSeed(long seed, int connection, int slot)
    {
        var z = (ulong)seed + (((ulong)connection << 32) | (uint)slot) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    /// <summary>Whether the budget allows one more request (the request count is shared by all workers).</summary>
    private bool TakeRequest() => options.Requests is { } requests
        ? Interlocked.Increment(ref _issued) <= requests
        : _clock.Elapsed < options.Duration;
}
