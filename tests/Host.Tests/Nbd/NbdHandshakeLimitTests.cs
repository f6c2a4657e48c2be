using System.Buffers.Binary;
using System.Net.Sockets;
using Host.Nbd;
using Microsoft.Extensions.Logging;
using TestTools;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.Nbd;

/// <summary>
/// QEMU's <c>handshake-max-seconds</c>: a client that has not chosen an export within the limit
/// is closed by the server, one that has is never timed again, and 0 is no limit. The tests wait
/// on what the server does (a close, a log line), never on how long it took; where a test needs
/// the limit to have passed, a silent witness client connected after the one under test is
/// closed first, and its close is what the test waits for.
/// </summary>
public sealed class NbdHandshakeLimitTests
{
    private static readonly NbdHandshakeLimit OneSecond = new(1);

    [Fact]
    public async Task A_client_that_sends_nothing_is_closed_once_the_limit_passes_and_one_warning_names_it()
    {
        var log = new MemoryLoggerProvider();
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(HandshakeLimit: OneSecond, Logger: log.CreateLogger("nbd")), tcp: true);
        await using var silent = await RawNbdClient.ConnectAsync(nbd.Server.LocalEndPoint!);
        var client = silent.LocalEndPoint!.ToString()!;

        Assert.True(await silent.IsClosedByServerAsync());
        var warning = await log.WaitForAsync(l => l.Message.Contains(client, StringComparison.Ordinal) && l.Message.Contains("handshake", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal($"NBD client {client} did not finish the handshake within 1 s (handshake-max-seconds); its connection is closed", warning.Message);
        Assert.True(await nbd.AllConnectionsEndAsync());
    }

    /// <summary>An option header promising 16 bytes of data, 3 of them sent: the server waits inside the option, and the limit ends the wait.</summary>
    [Fact]
    public async Task A_client_that_stalls_inside_an_option_is_closed_once_the_limit_passes_and_the_server_serves_on()
    {
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(HandshakeLimit: OneSecond));
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var stalled = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await stalled.SendClientFlagsAsync();
        var header = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(header, IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), OptGo);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), 16);
        await stalled.WriteAsync([.. header, 0, 0, 0]);

        Assert.True(await stalled.IsClosedByServerAsync());
        await using var next = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await next.GoAsync("disk0");
        await next.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 512);
        Assert.Equal((0u, 1ul), await next.ReadReplyAsync());
    }

    /// <summary>
    /// The client under test chooses its export at once; the witness, connected after it, sends
    /// nothing. Once the witness is closed, the limit has passed for the client under test too:
    /// its READ is still answered.
    /// </summary>
    [Fact]
    public async Task A_client_that_chose_its_export_is_not_timed_and_is_answered_after_the_limit_passed()
    {
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(HandshakeLimit: OneSecond));
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.GoAsync("disk0");
        await using var witness = await RawNbdClient.ConnectAsync(nbd.SocketPath);

        Assert.True(await witness.IsClosedByServerAsync());
        await client.SendRequestAsync(CmdRead, handle: 7, offset: 0, length: 512);
        Assert.Equal((0u, 7ul), await client.ReadReplyAsync());
        Assert.Equal(512, (await client.ReadAsync(512)).Length);
    }

    /// <summary>
    /// handshake-max-seconds=0: a silent client outlives the witness of a second server with a
    /// limit of 1 s on the same host (connected after it), and then still finishes its handshake.
    /// </summary>
    [Fact]
    public async Task With_a_limit_of_0_a_silent_client_stays_connected_and_can_still_choose_its_export()
    {
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(HandshakeLimit: NbdHandshakeLimit.None));
        await nbd.AddFileExportAsync("disk0", 1 << 20);
        await using var limited = new NbdServer(nbd.Fixture.Host.Runtime, handshakeLimit: OneSecond);
        await limited.StartAsync(new UnixDomainSocketEndPoint(Path.Combine(nbd.Fixture.DataDir, "limited.sock")));
        await using var silent = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await using var witness = await RawNbdClient.ConnectAsync(limited.LocalEndPoint!);

        Assert.True(await witness.IsClosedByServerAsync());
        Assert.Equal(1, nbd.Server.ConnectionCount);
        await silent.GoAsync("disk0");
        await silent.SendRequestAsync(CmdRead, handle: 1, offset: 0, length: 512);
        Assert.Equal((0u, 1ul), await silent.ReadReplyAsync());
    }
}
