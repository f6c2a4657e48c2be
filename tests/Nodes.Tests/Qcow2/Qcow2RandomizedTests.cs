using System.Globalization;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Qcow2;

/// <summary>
/// Rounds of concurrent writes, write-zeroes and reads on a qcow2 overlay (directly, or through
/// a copy-on-read filter), checked against a byte-array model; qemu-img checks the image at the
/// end. The seed is printed; set <c>QCOW2_SEED</c> to replay a run.
///
///   [cor (copy-on-read) ─file→] ov (qcow2, cluster size from the seed) ─backing→ base (raw, shorter)
/// </summary>
public sealed class Qcow2RandomizedTests : NodesTestKit, IDisposable
{
    private const int Size = 4 << 20;
    private const int BaseSize = 3 << 20;
    private const int Rounds = 60;

    private readonly ITestOutputHelper _output;
    private readonly Qcow2Harness _h;

    public Qcow2RandomizedTests(ITestOutputHelper output)
        : base(output: output)
    {
        _output = output;
        _h = new Qcow2Harness(this);
    }

    void IDisposable.Dispose()
    {
        Dispose();
        _h.Dispose();
    }

    [QemuFact]
    public async Task Concurrent_requests_match_a_model_and_leave_a_consistent_image()
    {
        var seed = Environment.GetEnvironmentVariable("QCOW2_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        var cluster = new[] { 512, 4096, 65536 }[random.Next(3)];
        var top = random.Next(2) == 0 ? "ov" : "cor";
        _output.WriteLine($"seed {seed} (replay with QCOW2_SEED={seed}): cluster size {cluster}, requests to '{top}'");

        var model = new byte[Size];
        random.NextBytes(model.AsSpan(0, BaseSize));
        await File.WriteAllBytesAsync(_h.PathOf("base.raw"), model[..BaseSize]);
        await _h.CreateQcow2Async("ov.qcow2", Size, "base.raw", "-o", $"cluster_size={cluster}");
        await _h.OpenRawAsync("base", "base.raw");
        await _h.OpenQcow2Async("ov", "ov.qcow2", backing: "base");
        await _h.AddAsync("cor", "copy-on-read", ("file", "ov"));

        for (var round = 0; round < Rounds; round++)
        {
            var requests = Plan(random, cluster);
            await Task.WhenAll(requests.Select(r => RunAsync(top, r)));
            foreach (var request in requests)
            {
                if (request.Kind == Kind.Read)
                {
                    Assert.True(model.AsSpan((int)request.Offset, request.Data.Length).SequenceEqual(request.Data),
                        $"seed {seed}, round {round}: read of {request.Data.Length} bytes at {request.Offset} differs from the model");
                }
                else
                {
                    request.Data.CopyTo(model, request.Offset);
                }
            }
        }

        var final = await _h.ReadAsync(top, 0, Size);
        Assert.True(model.AsSpan().SequenceEqual(final), $"seed {seed}: the image differs from the model");
        await _h.CloseAndVerifyAsync("ov.qcow2", model);
    }

    /// <summary>
    /// One round: up to 8 requests in a small hot spot (so they share clusters and L2 tables) or
    /// anywhere; a request that would overlap a write of the same round is dropped, so the
    /// round's outcome does not depend on the order the requests run in.
    /// </summary>
    private static List<Request> Plan(Random random, int cluster)
    {
        var hotSpot = random.Next(2) == 0;
        var regionLength = hotSpot ? 4 * cluster : Size;
        var regionStart = hotSpot ? (long)random.Next(Size / cluster - 4) * cluster : 0;
        var requests = new List<Request>();
        for (var i = random.Next(1, 9); i > 0; i--)
        {
            var length = random.Next(1, Math.Min(3 * cluster, regionLength) + 1);
            var offset = regionStart + random.NextInt64(regionLength - length + 1);
            var kind = random.Next(10) switch
            {
                < 6 => Kind.Write,
                6 => Kind.WriteZeroes,
                _ => Kind.Read,
            };
            if (requests.Any(r => (r.Kind != Kind.Read || kind != Kind.Read) && r.Offset < offset + length && offset < r.Offset + r.Data.Length))
            {
                continue;
            }
            var data = new byte[length];
            if (kind == Kind.Write)
            {
                random.NextBytes(data);
            }
            requests.Add(new Request(kind, offset, data, Fua: random.Next(8) == 0));
        }
        return requests;
    }

    private Task RunAsync(string node, Request request) => _h.Nodes.Request(node, async n =>
    {
        switch (request.Kind)
        {
            case Kind.Write:
                await n.WriteAsync(request.Offset, request.Data, request.Fua);
                break;
            case Kind.WriteZeroes:
                await n.WriteZeroesAsync(request.Offset, request.Data.Length, mayUnmap: request.Fua);
                break;
            default:
                await n.ReadAsync(request.Offset, request.Data);
                break;
        }
        return true;
    });

    private enum Kind
    {
        Write,
        WriteZeroes,
        Read,
    }

    /// <summary>A planned request; <see cref="Data"/> is what a write writes (zeroes for write-zeroes) or where a read reads into.</summary>
    private sealed record Request(Kind Kind, long Offset, byte[] Data, bool Fua);
}
