using System.Text.Json.Nodes;
using Host.Tests.Nbd;
using TestTools;

namespace Host.Tests.Qmp;

/// <summary>qcow2 and copy-on-read nodes built with blockdev-add, as a management tool would, over images qemu-img made.</summary>
public sealed class QmpCopyOnReadTests
{
    private const int Size = 1 << 20;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    //   cor (copy-on-read) ─file→ ov (qcow2) ─file→ ov-file (file: ov.qcow2)
    //                              └─backing→ base (raw) ─file→ base-file (file: base.raw, read-only)
    [NbdClientFact("qemu-img", "qemu-io")]
    public async Task Blockdev_add_builds_a_copy_on_read_chain_whose_reads_land_in_the_overlay()
    {
        await using var fixture = await QmpFixture.StartAsync();
        var images = fixture.Host.ImagesDir;
        await RunAsync("qemu-img", "create", "-f", "raw", Path.Combine(images, "base.raw"), $"{Size}");
        await RunAsync("qemu-io", "-f", "raw", "-c", $"write -P 0x5a 0 {Size}", Path.Combine(images, "base.raw"));
        await RunAsync("qemu-img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", Path.Combine(images, "ov.qcow2"), $"{Size}");
        await using var client = await fixture.ConnectAsync();

        await AddAsync(client, ("driver", "file"), ("node-name", "base-file"), ("filename", "base.raw"), ("read-only", true));
        await AddAsync(client, ("driver", "raw"), ("node-name", "base"), ("file", "base-file"));
        await AddAsync(client, ("driver", "file"), ("node-name", "ov-file"), ("filename", "ov.qcow2"));
        await AddAsync(client, ("driver", "qcow2"), ("node-name", "ov"), ("file", "ov-file"), ("backing", "base"));
        await AddAsync(client, ("driver", "copy-on-read"), ("node-name", "cor"), ("file", "ov"));

        var nodes = (await client.ReturnOfAsync("query-named-block-nodes")).AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal("qcow2", (string)nodes.Single(n => (string)n["node-name"]! == "ov")["drv"]!);
        Assert.Equal(Size, (long)nodes.Single(n => (string)n["node-name"]! == "ov")["image"]!["virtual-size"]!);
        Assert.Equal("copy-on-read", (string)nodes.Single(n => (string)n["node-name"]! == "cor")["drv"]!);

        var read = await fixture.Host.Host.Runtime.RunRequestAsync("cor", async node =>
        {
            var buffer = new byte[65536];
            await node.ReadAsync(0, buffer);
            return buffer;
        });
        Assert.All(read, b => Assert.Equal(0x5a, b));

        foreach (var node in new[] { "cor", "ov", "ov-file", "base", "base-file" })
        {
            await client.ReturnOfAsync("blockdev-del", new JsonObject { ["node-name"] = node });
        }
        await WaitClosedAsync(fixture, "ov.qcow2");
        var map = (await RunAsync("qemu-img", "map", "--output=json", "-f", "qcow2", Path.Combine(images, "ov.qcow2"))).Stdout;
        Assert.Contains("""{ "start": 0, "length": 65536, "depth": 0, "present": true, "zero": false, "data": true""", map);

        // "backing": null opens the overlay alone: the copied cluster is there, the rest reads as zeroes.
        await AddAsync(client, ("driver", "file"), ("node-name", "ov-file"), ("filename", "ov.qcow2"));
        await AddAsync(client, ("driver", "qcow2"), ("node-name", "alone"), ("file", "ov-file"), ("backing", null));
        var alone = await fixture.Host.Host.Runtime.RunRequestAsync("alone", async node =>
        {
            var buffer = new byte[131072];
            await node.ReadAsync(0, buffer);
            return buffer;
        });
        Assert.All(alone[..65536], b => Assert.Equal(0x5a, b));
        Assert.All(alone[65536..], b => Assert.Equal(0, b));
    }

    private static Task<JsonNode> AddAsync(QmpTestClient client, params (string Key, JsonNode? Value)[] members)
    {
        var args = new JsonObject();
        foreach (var (key, value) in members)
        {
            args[key] = value;
        }
        return client.ReturnOfAsync("blockdev-add", args);
    }

    private static async Task<ExternalTool.Result> RunAsync(string tool, params string[] arguments)
    {
        var result = await NbdTools.RunAsync(tool, arguments);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        return result;
    }

    private static async Task WaitClosedAsync(QmpFixture fixture, string image)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (fixture.Host.Host.Disk.IsOpen(image))
        {
            // The close runs right after blockdev-del's write section; poll until it did.
            await Task.Delay(10, timeout.Token);
        }
    }
}
