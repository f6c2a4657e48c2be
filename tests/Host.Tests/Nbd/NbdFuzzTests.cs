using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Host.Nbd;
using Nodes.Nbd;
using Xunit.Abstractions;
using static Host.Tests.Nbd.NbdFuzzGenerator;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>
/// Bad input, seeded: thousands of sessions, each a valid one with one named mutation
/// (<see cref="NbdFuzzGenerator"/>), each checked against the answer the protocol gives it, while a
/// control connection keeps writing and reading back and two stalled clients wait mid-message.
/// At the end every acknowledged write is read back. A run prints its seed, <see cref="DefaultSeed"/>
/// unless NBD_FUZZ_SEED gives another (so CI runs the same cases every time); NBD_FUZZ_CASE runs
/// one case of it, NBD_FUZZ_CASES sets how many cases run.
/// </summary>
public sealed class NbdFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 10_000;

    private const int DefaultSeed = 1;

    /// <summary>Sessions at once: each runs its cases in order, on slots of its own.</summary>
    private const int Workers = 4;

    private const int SlotsPerWorker = 64;

    /// <summary>A run stops after this many wrong answers: one bug usually shows in many cases.</summary>
    private const int MaxFailures = 20;

    private const int ControlBlock = 64 << 10;
    private const int ControlBlocks = 16;

    /// <summary>Where the stalled WRITE lands once its client finally sends the rest.</summary>
    private const long StalledOffset = 2 << 20;

    [Fact]
    public async Task Seeded_malformed_sessions_each_get_the_protocols_answer_and_no_acknowledged_write_is_lost()
    {
        var seed = Environment.GetEnvironmentVariable("NBD_FUZZ_SEED") is { Length: > 0 } fixedSeed ? int.Parse(fixedSeed) : DefaultSeed;
        var only = Environment.GetEnvironmentVariable("NBD_FUZZ_CASE") is { Length: > 0 } one ? int.Parse(one) : (int?)null;
        var count = Environment.GetEnvironmentVariable("NBD_FUZZ_CASES") is { Length: > 0 } many ? int.Parse(many) : DefaultCases;
        var replay = $"seed {seed}; replay with NBD_FUZZ_SEED={seed}";
        output.WriteLine(only is { } single ? $"NBD fuzz: case {single} of {replay}" : $"NBD fuzz: {count} cases, {replay}");

        // No handshake limit: the client stalled inside an option must outlast the whole run
        // (QEMU added the knob for such tests of the handshake itself).
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(HandshakeLimit: NbdHandshakeLimit.None));
        await nbd.AddFileExportAsync(Disk, DiskSize);
        await nbd.AddFileExportAsync(ReadOnly, ReadOnlySize, writable: false);
        var (stalledOption, goRest) = await StallInOptionAsync(nbd.SocketPath);
        var (stalledWrite, writeRest, stalledData) = await StallInWriteAsync(nbd.SocketPath, seed);
        var clock = Stopwatch.StartNew();

        var slots = new ConcurrentDictionary<long, byte[]>();
        var failures = new ConcurrentQueue<string>();
        var families = new ConcurrentDictionary<string, int>();
        var fuzzing = Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            for (var index = worker; index < count && failures.Count < MaxFailures; index += Workers)
            {
                if (only is { } chosen && index != chosen)
                {
                    continue;
                }
                var @case = Create(seed, index, SlotOf(index));
                families.AddOrUpdate(@case.Family, 1, static (_, n) => n + 1);
                if (only is not null)
                {
                    output.WriteLine($"case {index}: {@case.Mutation}");
                }
                var (failure, slot) = await NbdFuzzSession.RunAsync(nbd.SocketPath, @case);
                if (slot is not null)
                {
                    slots[@case.Slot] = slot;
                }
                if (failure is not null)
                {
                    failures.Enqueue($"case {index} (seed {seed}): {@case.Mutation}: {failure}");
                }
            }
        })));
        var control = ControlAsync(nbd.SocketPath, seed, fuzzing);
        await fuzzing;
        var (rounds, controlData) = await control;
        var fuzzTime = clock.Elapsed;

        // The stalled clients were not given up on, and held no one up: they finish what they started.
        await stalledOption.WriteAsync(goRest);
        var goReplies = await stalledOption.ReadOptionRepliesAsync(OptGo);
        await stalledWrite.WriteAsync(writeRest);
        var stalledReply = await stalledWrite.ReadReplyAsync();
        await stalledOption.DisposeAsync();
        await stalledWrite.DisposeAsync();

        var lost = await LostWritesAsync(nbd.SocketPath, slots, controlData, stalledData);
        var ended = await nbd.AllConnectionsEndAsync();
        output.WriteLine($"{families.Values.Sum()} cases in {fuzzTime.TotalSeconds:0.0} s, control connection: {rounds} verified rounds; by family:");
        foreach (var (family, cases) in families.OrderByDescending(f => f.Value))
        {
            output.WriteLine($"  {cases,6}  {family}");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} fuzz cases got a wrong answer ({replay}, one case with NBD_FUZZ_CASE=N):\n{string.Join("\n", failures.Take(MaxFailures))}");
        Assert.Equal(RepAck, goReplies[^1].Type);
        Assert.Equal((0u, 1ul), stalledReply);
        Assert.True(lost.Count == 0, $"acknowledged writes lost ({replay}): {string.Join(", ", lost)}");
        Assert.True(ended, $"connections still open on the server after every client left ({replay}): {nbd.Server.ConnectionCount}");
    }

    /// <summary>Worker <c>index % Workers</c>'s slots, taken in turn, so a slot is written by one session at a time.</summary>
    private static long SlotOf(int index) =>
        (((long)(index % Workers) * SlotsPerWorker) + (index / Workers % SlotsPerWorker)) * SlotSize;

    /// <summary>A client that sent 11 bytes of an NBD_OPT_GO's header and waits; returns it and the rest of the option.</summary>
    private static async Task<(RawNbdClient Client, byte[] Remainder)> StallInOptionAsync(string socketPath)
    {
        var client = await RawNbdClient.ConnectAsync(socketPath);
        await client.SendClientFlagsAsync();
        var go = Option(OptGo, GoData(Disk));
        await client.WriteAsync(go[..11]);
        return (client, go[11..]);
    }

    /// <summary>A client in transmission that sent a WRITE's header and 100 bytes of its payload; returns it, the rest, and the whole payload.</summary>
    private static async Task<(RawNbdClient Client, byte[] Remainder, byte[] Data)> StallInWriteAsync(string socketPath, int seed)
    {
        var client = await RawNbdClient.ConnectAsync(socketPath);
        await client.GoAsync(Disk);
        var data = new byte[SlotSize];
        new Random(seed).NextBytes(data);
        await client.WriteAsync([.. Header(CmdWrite, 0, 1, StalledOffset, SlotSize), .. data.AsSpan(0, 100)]);
        return (client, data[100..], data);
    }

    /// <summary>
    /// The control connection: rounds of pipelined writes over its region, a flush, and every block
    /// read back and compared, from before the first fuzz case until after the last (and at least 3
    /// rounds). Returns the rounds and what the region holds.
    /// </summary>
    private static async Task<(int Rounds, byte[] Data)> ControlAsync(string socketPath, int seed, Task fuzzing)
    {
        await using var client = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), Disk, 8, CancellationToken.None);
        var rng = new Random(seed);
        var data = new byte[ControlBlock * ControlBlocks];
        var back = new byte[data.Length];
        var rounds = 0;
        do
        {
            rng.NextBytes(data);
            await Task.WhenAll(Enumerable.Range(0, ControlBlocks).Select(b =>
                client.WriteAsync(ControlOffset + ((long)b * ControlBlock), data.AsMemory(b * ControlBlock, ControlBlock)).AsTask()));
            await client.FlushAsync();
            await Task.WhenAll(Enumerable.Range(0, ControlBlocks).Select(b =>
                client.ReadAsync(ControlOffset + ((long)b * ControlBlock), back.AsMemory(b * ControlBlock, ControlBlock)).AsTask()));
            Assert.True(back.AsSpan().SequenceEqual(data), $"control round {rounds} (seed {seed}) read back other data than it wrote");
            rounds++;
        }
        while (!fuzzing.IsCompleted || rounds < 3);
        return (rounds, data);
    }

    /// <summary>Reads back, on a new connection, every slot's last acknowledged write, the control region and the stalled WRITE; names what differs.</summary>
    private static async Task<List<string>> LostWritesAsync(string socketPath, IReadOnlyDictionary<long, byte[]> slots, byte[] control, byte[] stalled)
    {
        await using var client = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), Disk, 8, CancellationToken.None);
        var expected = slots.Select(s => (Offset: s.Key, Data: s.Value)).Append((ControlOffset, control)).Append((StalledOffset, stalled));
        var lost = new List<string>();
        foreach (var (offset, data) in expected)
        {
            var back = new byte[data.Length];
            await client.ReadAsync(offset, back);
            if (!back.AsSpan().SequenceEqual(data))
            {
                lost.Add($"{data.Length} bytes at {offset}");
            }
        }
        return lost;
    }
}
