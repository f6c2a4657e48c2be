using System.Text.Json.Nodes;
using Host.Nbd;
using Host.Qmp;
using Host.Tests.Nbd;

namespace Host.Tests.Qmp;

/// <summary>nbd-server-start/stop reach the host's NBD server with the address QEMU's clients send.</summary>
public sealed class QmpNbdServerTests
{
    /// <summary>Records what QMP asked of the NBD server.</summary>
    private sealed class RecordingNbdServer : INbdServerControl
    {
        public List<object> Calls { get; } = [];

        public List<NbdHandshakeLimit> HandshakeLimits { get; } = [];

        public System.Net.EndPoint? Endpoint => null;

        public Task StartAsync(NbdServerAddress address, Nodes.Tls.TlsCredsX509? tlsCreds, NbdHandshakeLimit handshakeLimit, CancellationToken cancellationToken)
        {
            if (Calls.OfType<NbdServerAddress>().Count() > Calls.OfType<string>().Count())
            {
                throw new InvalidOperationException("NBD server already running");
            }
            Calls.Add(address);
            HandshakeLimits.Add(handshakeLimit);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Calls.Add("stop");
            return Task.CompletedTask;
        }

        public int ConnectionsTo(string exportId) => 0;

        public Task DisconnectAsync(string exportId) => Task.CompletedTask;
    }

    [Fact]
    public async Task Nbd_server_start_takes_QEMUs_legacy_and_flat_addresses_and_passes_failures_on_in_their_words()
    {
        var nbd = new RecordingNbdServer();
        await using var fixture = await QmpFixture.StartAsync(nbd);
        await using var client = await fixture.ConnectAsync();

        await client.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = "/tmp/nbd.sock" } } });
        var running = await client.ErrorOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = "/tmp/nbd.sock" } });
        await client.ReturnOfAsync("nbd-server-stop");
        await client.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "inet", ["host"] = "127.0.0.1", ["port"] = "10809" } });
        var offHost = await client.ErrorOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "inet", ["host"] = "0.0.0.0", ["port"] = "10809" } });

        Assert.Equal(("GenericError", "NBD server already running"), running);
        Assert.Equal("GenericError", offHost.Class);
        Assert.Equal<object>([new NbdServerAddress.Unix("/tmp/nbd.sock"), "stop", new NbdServerAddress.Inet("127.0.0.1", "10809")], nbd.Calls);
    }

    /// <summary>QEMU's handshake-max-seconds: 10 when not given, 0 for no limit, a uint32 or refused before the server is touched.</summary>
    [Fact]
    public async Task Nbd_server_start_passes_handshake_max_seconds_on_and_refuses_what_is_not_a_uint32()
    {
        var nbd = new RecordingNbdServer();
        await using var fixture = await QmpFixture.StartAsync(nbd);
        await using var client = await fixture.ConnectAsync();
        JsonObject Start(JsonNode? seconds) => new()
        {
            ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = "/tmp/nbd.sock" },
            ["handshake-max-seconds"] = seconds,
        };
        JsonObject StartWithout() => new() { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = "/tmp/nbd.sock" } };

        await client.ReturnOfAsync("nbd-server-start", StartWithout());
        await client.ReturnOfAsync("nbd-server-stop");
        await client.ReturnOfAsync("nbd-server-start", Start(0));
        await client.ReturnOfAsync("nbd-server-stop");
        await client.ReturnOfAsync("nbd-server-start", Start(4294967295L));
        await client.ReturnOfAsync("nbd-server-stop");
        var negative = await client.ErrorOfAsync("nbd-server-start", Start(-1));
        var tooLarge = await client.ErrorOfAsync("nbd-server-start", Start(4294967296L));
        var fraction = await client.ErrorOfAsync("nbd-server-start", Start(1.5));
        var text = await client.ErrorOfAsync("nbd-server-start", Start("10"));

        Assert.Equal([10u, 0u, 4294967295u], nbd.HandshakeLimits.Select(l => l.Seconds));
        Assert.Equal(("GenericError", "Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got '-1'"), negative);
        Assert.Equal(("GenericError", "Parameter 'handshake-max-seconds' expects a whole number of seconds from 0 (no limit) to 4294967295, got '4294967296'"), tooLarge);
        Assert.Equal(("GenericError", "Invalid parameter type for 'handshake-max-seconds', expected: integer"), fraction);
        Assert.Equal(("GenericError", "Invalid parameter type for 'handshake-max-seconds', expected: integer"), text);
    }

    /// <summary>
    /// QEMU's modes of block-export-del: "safe" refuses while a client is attached (the export
    /// stays); "hard" drops the clients, and BLOCK_EXPORT_DELETED follows once they are gone.
    /// </summary>
    [Fact]
    public async Task Block_export_del_refuses_in_safe_mode_while_a_client_is_attached_and_hard_mode_drops_it()
    {
        await using var fixture = await QmpFixture.StartWithNbdServerAsync();
        await using var client = await fixture.ConnectAsync();
        var nbdSocket = Path.Combine(fixture.Host.DataDir, "nbd.sock");
        await client.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = nbdSocket } });
        await client.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "disk0" });
        await client.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e0", ["node-name"] = "disk0", ["name"] = "disk0" });
        await using var nbdClient = await RawNbdClient.ConnectAsync(nbdSocket);
        await nbdClient.GoAsync("disk0");

        var safe = await client.ErrorOfAsync("block-export-del", new JsonObject { ["id"] = "e0" });
        var stillListed = (await client.ReturnOfAsync("query-block-exports")).AsArray().Count;
        await client.ReturnOfAsync("block-export-del", new JsonObject { ["id"] = "e0", ["mode"] = "hard" });
        var deleted = await client.WaitForEventAsync("BLOCK_EXPORT_DELETED");

        Assert.Equal(("GenericError", "export 'e0' still in use"), safe);
        Assert.Equal(1, stillListed);
        Assert.Equal("e0", (string)deleted["data"]!["id"]!);
        Assert.True(await nbdClient.IsClosedByServerAsync());
        Assert.Empty((await client.ReturnOfAsync("query-block-exports")).AsArray());
    }
}
