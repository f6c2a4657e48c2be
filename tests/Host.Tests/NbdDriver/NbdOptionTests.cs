using System.Text.Json.Nodes;
using Host.Cli;
using Host.Tests.Qmp;

namespace Host.Tests.NbdDriver;

/// <summary>The <c>nbd</c> driver's options, refused in qemu-storage-daemon's own words, over QMP and on the command line.</summary>
public sealed class NbdOptionTests
{
    public static TheoryData<string, string> RefusedOverQmp => new()
    {
        { """{"server": {"type": "unix"}}""", "Parameter 'server.path' is missing" },
        { """{"server": {"type": "inet", "host": "127.0.0.1"}}""", "Parameter 'server.port' is missing" },
        { """{"server": {"type": "inet", "port": "10809"}}""", "Parameter 'server.host' is missing" },
        { """{"server": {"type": "inet", "host": "127.0.0.1", "port": "abc"}}""", "address resolution failed for 127.0.0.1:abc: Servname not supported for ai_socktype" },
        { """{"server": {"type": "inet", "host": "127.0.0.1", "port": 10809}}""", "Invalid parameter type for 'server.port', expected: string" },
        { """{"server": {"type": "foo", "path": "x"}}""", "Parameter 'type' does not accept value 'foo'" },
        { """{"server": {"path": "x"}}""", "Parameter 'server.type' is missing" },
        { """{}""", "Parameter 'server' is missing" },
        { """{"server": {"type": "unix", "path": "x", "host": "h"}}""", "Parameter 'server.host' is unexpected" },
        { """{"server": {"type": "unix", "path": "x"}, "exprot": "e"}""", "Parameter 'exprot' is unexpected" },
        { """{"server": {"type": "unix", "path": "x"}, "reconnect-delay": "3"}""", "Invalid parameter type for 'reconnect-delay', expected: integer" },
        { """{"server": {"type": "unix", "path": "x"}, "reconnect-delay": -1}""", "Parameter 'reconnect-delay' expects uint32_t" },
        { """{"server": {"type": "unix", "path": "/nonexistent/nbd.sock"}}""", "Failed to connect to '/nonexistent/nbd.sock': No such file or directory" },
        { """{"server": {"type": "inet", "host": "127.0.0.1", "port": "1"}}""", "Failed to connect to '127.0.0.1:1': Connection refused" },
    };

    [Theory]
    [MemberData(nameof(RefusedOverQmp))]
    public async Task Blockdev_add_refuses_bad_options_in_QEMUs_words_and_adds_nothing(string options, string desc)
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var qmp = await fixture.ConnectAsync();
        var arguments = JsonNode.Parse(options)!.AsObject();
        arguments["driver"] = "nbd";
        arguments["node-name"] = "n0";

        var error = await qmp.ErrorOfAsync("blockdev-add", arguments);
        var nodes = await qmp.ReturnOfAsync("query-named-block-nodes");

        Assert.Equal(("GenericError", desc), error);
        Assert.Empty(nodes.AsArray());
    }

    [Fact]
    public async Task Tls_creds_naming_no_object_is_refused_in_QEMUs_words()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var qmp = await fixture.ConnectAsync();

        var error = await qmp.ErrorOfAsync("blockdev-add", new JsonObject
        {
            ["driver"] = "nbd",
            ["node-name"] = "n0",
            ["server"] = new JsonObject { ["type"] = "unix", ["path"] = "/run/nbd.sock" },
            ["tls-creds"] = "tls0",
        });

        Assert.Equal(("GenericError", "No TLS credentials with id 'tls0'"), error);
    }

    [Theory]
    [InlineData("driver=nbd,node-name=n0,server.type=unix", "Parameter 'server.path' is missing")]
    [InlineData("driver=nbd,node-name=n0,server.type=inet,server.host=127.0.0.1,server.port=70000", "address resolution failed for 127.0.0.1:70000: Servname not supported for ai_socktype")]
    [InlineData("driver=nbd,node-name=n0,server.type=vsock,server.cid=3", "server.type 'vsock' is not supported (unix and inet are)")]
    [InlineData("driver=nbd,node-name=n0,server.type=unix,server.path=/run/nbd.sock,reconnect-delay=abc", "Parameter 'reconnect-delay' expects integer")]
    [InlineData("""{"driver": "nbd", "node-name": "n0", "server": {"type": "unix", "path": "/nonexistent/nbd.sock"}, "export": "x"}""", "Failed to connect to '/nonexistent/nbd.sock': No such file or directory")]
    public async Task A_refused_nbd_blockdev_on_the_command_line_exits_1_with_one_line_naming_it(string blockdev, string reason)
    {
        var root = Directory.CreateTempSubdirectory("nbd-options-");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var code = await HostCommand.RunAsync(["--data-dir", Path.Combine(root.FullName, "data"), "--blockdev", blockdev], output, error);

            Assert.Equal(1, code);
            var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("actors-host: --blockdev node-name=n0: ", line);
            Assert.EndsWith(reason, line.TrimEnd('\r'));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
