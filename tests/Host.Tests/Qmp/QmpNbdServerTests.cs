using System.Text.Json.Nodes;
using Host.Qmp;

namespace Host.Tests.Qmp;

/// <summary>nbd-server-start/stop reach the host's NBD server with the address QEMU's clients send.</summary>
public sealed class QmpNbdServerTests
{
    /// <summary>Records what QMP asked of the NBD server.</summary>
    private sealed class RecordingNbdServer : INbdServerControl
    {
        public List<object> Calls { get; } = [];

        public Task StartAsync(NbdServerAddress address, CancellationToken cancellationToken)
        {
            if (Calls.OfType<NbdServerAddress>().Count() > Calls.OfType<string>().Count())
            {
                throw new InvalidOperationException("NBD server already running");
            }
            Calls.Add(address);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Calls.Add("stop");
            return Task.CompletedTask;
        }
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
}
