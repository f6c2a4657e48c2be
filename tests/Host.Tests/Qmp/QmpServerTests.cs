using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Host.Qmp;
using Host.Tests.Hosting;

namespace Host.Tests.Qmp;

/// <summary>Where the monitor listens.</summary>
public sealed class QmpServerTests
{
    [Fact]
    public async Task The_monitor_also_listens_on_TCP_loopback_and_greets_there()
    {
        await using var host = await HostFixture.StartAsync();
        await using var server = new QmpServer(host.Host, nbd: null);
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)Assert.Single(server.Endpoints);

        using var client = new TcpClient();
        await client.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(20));
        using var reader = new StreamReader(client.GetStream(), Encoding.UTF8);
        var greeting = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)))!)!;

        Assert.NotEqual(0, endpoint.Port);
        Assert.Equal(7, (int)greeting["QMP"]!["version"]!["qemu"]!["major"]!);
    }

    [Fact]
    public async Task The_monitor_refuses_to_listen_off_host()
    {
        await using var host = await HostFixture.StartAsync();
        await using var server = new QmpServer(host.Host, nbd: null);

        await Assert.ThrowsAsync<ArgumentException>(() => server.StartAsync(new IPEndPoint(IPAddress.Any, 0)));
    }
}
