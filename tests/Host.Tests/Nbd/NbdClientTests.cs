using System.Net.Sockets;
using Host.Demo;
using Nodes.Nbd;

namespace Host.Tests.Nbd;

/// <summary>The NBD client (the demo's and the <c>nbd</c> driver's) against the host's NBD server.</summary>
public sealed class NbdClientTests
{
    [Fact]
    public async Task Pipelined_writes_and_reads_come_back_matched_to_their_requests()
    {
        await using var host = await NbdHost.StartAsync();
        await host.AddFileExportAsync("d0", 1 << 20);
        await using var client = await ConnectAsync(host, "d0", maxInFlight: 16);

        Assert.Equal(1 << 20, client.Size);
        var blocks = Enumerable.Range(0, 64).ToArray();
        await Task.WhenAll(blocks.Select(async b =>
        {
            var data = new byte[BlockPattern.BlockSize];
            BlockPattern.Fill(data, b, generation: 1, seed: 7);
            await client.WriteAsync(b * BlockPattern.BlockSize, data);
        }));
        await client.FlushAsync();
        var reads = await Task.WhenAll(blocks.Select(async b =>
        {
            var data = new byte[BlockPattern.BlockSize];
            await client.ReadAsync(b * BlockPattern.BlockSize, data);
            return BlockPattern.Matches(data, b, generation: 1, seed: 7);
        }));

        Assert.All(reads, Assert.True);
    }

    [Fact]
    public async Task A_refused_request_names_the_command_offset_and_error_and_the_connection_goes_on()
    {
        await using var host = await NbdHost.StartAsync();
        await host.AddFileExportAsync("d0", 1 << 20);
        await using var client = await ConnectAsync(host, "d0", maxInFlight: 4);

        var refused = await Assert.ThrowsAsync<NbdClientException>(() => client.ReadAsync(1 << 20, new byte[4096]).AsTask());

        Assert.Equal("NBD export 'd0': NBD_CMD_READ at offset 1048576 (4096 bytes) failed with EINVAL", refused.Message);
        await client.ReadAsync(0, new byte[4096]);
    }

    [Fact]
    public async Task An_unknown_export_is_refused_in_the_handshake()
    {
        await using var host = await NbdHost.StartAsync();

        var refused = await Assert.ThrowsAsync<NbdClientException>(() => ConnectAsync(host, "nope", maxInFlight: 1));

        Assert.StartsWith("NBD export 'nope': NBD_OPT_GO refused", refused.Message);
    }

    private static Task<NbdClient> ConnectAsync(NbdHost host, string export, int maxInFlight) =>
        NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(host.SocketPath), export, maxInFlight, CancellationToken.None);
}
