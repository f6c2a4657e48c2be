using System.Net;
using System.Text.Json.Nodes;
using Host.Qmp;
using Host.Tests.Hosting;
using TestTools;

namespace Host.Tests.Qmp;

/// <summary>
/// The QMP client the README and the host's hint name (<c>src/Host/scripts/qmp.sh</c>, copied
/// beside the host): plain bash over TCP, nothing to install.
/// </summary>
public sealed class QmpScriptTests
{
    private static readonly string s_script = Path.Combine(AppContext.BaseDirectory, "qmp.sh");

    [Fact]
    public async Task The_script_prints_a_commands_reply_and_exits_0()
    {
        await using var host = await HostFixture.StartAsync();
        await using var monitor = await StartTcpMonitorAsync(host);

        var result = await ExternalTool.RunAsync("bash", [s_script, Address(monitor), "blockdev-add", """{"driver": "null-co", "node-name": "null0"}"""]);
        var query = await ExternalTool.RunAsync("bash", [s_script, Address(monitor), "query-named-block-nodes"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{}", JsonNode.Parse(result.Stdout)!["return"]!.ToJsonString());
        Assert.Equal("null0", (string)JsonNode.Parse(query.Stdout)!["return"]![0]!["node-name"]!);
    }

    [Fact]
    public async Task The_script_prints_a_refusal_and_exits_1()
    {
        await using var host = await HostFixture.StartAsync();
        await using var monitor = await StartTcpMonitorAsync(host);

        var result = await ExternalTool.RunAsync("bash", [s_script, Address(monitor), "blockdev-del", """{"node-name": "nowhere"}"""]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Cannot find node name 'nowhere'", (string)JsonNode.Parse(result.Stdout)!["error"]!["desc"]!);
        Assert.Contains("'nowhere'", result.Stdout); // as QEMU writes it, not \u0027
    }

    private static async Task<QmpServer> StartTcpMonitorAsync(HostFixture host)
    {
        var monitor = new QmpServer(host.Host, nbd: null);
        await monitor.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        return monitor;
    }

    private static string Address(QmpServer monitor) => ((IPEndPoint)monitor.Endpoints[0]).ToString();
}
