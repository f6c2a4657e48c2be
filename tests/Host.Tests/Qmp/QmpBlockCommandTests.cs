using System.Text.Json.Nodes;

namespace Host.Tests.Qmp;

/// <summary>Block commands driven over the monitor's socket, as a management tool would.</summary>
public sealed class QmpBlockCommandTests
{
    private static JsonObject Args(params (string Key, JsonNode? Value)[] members)
    {
        var args = new JsonObject();
        foreach (var (key, value) in members)
        {
            args[key] = value;
        }
        return args;
    }

    private static async Task<JsonObject> NodeAsync(QmpTestClient client, string name)
    {
        var nodes = (await client.ReturnOfAsync("query-named-block-nodes")).AsArray();
        return nodes.Single(n => (string)n!["node-name"]! == name)!.AsObject();
    }

    //   fmt0 (raw) ── file ──> file0 (file: disk.img)      null0 (null-co)
    [Fact]
    public async Task Blockdev_add_of_null_co_and_raw_over_file_shows_them_in_query_named_block_nodes()
    {
        await using var fixture = await QmpFixture.StartAsync();
        fixture.Host.Host.Disk.Create("disk.img", 1 << 20);
        await using var client = await fixture.ConnectAsync();

        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "null0"), ("size", 4096)));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "file"), ("node-name", "file0"), ("filename", "disk.img")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "raw"), ("node-name", "fmt0"), ("file", "file0")));

        var nullNode = await NodeAsync(client, "null0");
        var format = await NodeAsync(client, "fmt0");
        Assert.Equal("null-co", (string)nullNode["drv"]!);
        Assert.Equal(4096, (long)nullNode["image"]!["virtual-size"]!);
        Assert.Equal("raw", (string)format["drv"]!);
        Assert.False((bool)format["ro"]!);
        Assert.Equal(1 << 20, (long)format["image"]!["virtual-size"]!);
        Assert.Equal("file0", (string)format["children"]![0]!["node-name"]!);
        Assert.Equal("disk.img", (string)format["file"]!);
        Assert.Equal("null-co://", (string)nullNode["file"]!);
        Assert.Equal("file", (string)(await NodeAsync(client, "file0"))["drv"]!);
    }

    [Fact]
    public async Task Blockdev_add_of_an_existing_node_name_is_refused_with_QEMUs_message()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "x")));

        var error = await client.ErrorOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "x")));

        Assert.Equal(("GenericError", "Duplicate nodes with node-name='x'"), error);
    }

    [Fact]
    public async Task Blockdev_add_of_a_file_outside_the_images_dir_is_a_GenericError_naming_the_node_and_the_path()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var error = await client.ErrorOfAsync("blockdev-add", Args(("driver", "file"), ("node-name", "file0"), ("filename", "/etc/passwd")));
        var nodes = (await client.ReturnOfAsync("query-named-block-nodes")).AsArray();

        Assert.Equal(
            ("GenericError", $"Image path '/etc/passwd' of node 'file0' refused: is an absolute path outside the images dir '{fixture.Host.ImagesDir}'"),
            error);
        Assert.Empty(nodes);
    }

    [Fact]
    public async Task Blockdev_add_with_a_nested_child_definition_is_refused_clearly()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var error = await client.ErrorOfAsync("blockdev-add", Args(("driver", "raw"), ("node-name", "fmt0"), ("file", new JsonObject { ["driver"] = "null-co" })));

        Assert.Equal("GenericError", error.Class);
        Assert.Contains("'file'", error.Desc);
    }

    //   e0 ──> disk0 (null-co)
    [Fact]
    public async Task Blockdev_del_of_a_node_used_by_an_export_names_the_export()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "disk0")));
        await client.ReturnOfAsync("block-export-add", Args(("type", "nbd"), ("id", "e0"), ("node-name", "disk0")));

        var error = await client.ErrorOfAsync("blockdev-del", Args(("node-name", "disk0")));

        Assert.Equal(("GenericError", "Node 'disk0' is busy: node is used as export 'e0'"), error);
    }

    [Fact]
    public async Task Object_add_iothread_then_x_blockdev_set_iothread_moves_the_node()
    {
        await using var fixture = await QmpFixture.StartAsync("io0");
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n0")));
        var before = (string)(await NodeAsync(client, "n0"))["iothread"]!;

        var mistyped = await client.ErrorOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "iothread1"), ("poll-max-ns", "32768")));
        await client.ReturnOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "iothread1"), ("poll-max-ns", 32768)));
        var duplicate = await client.ErrorOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "iothread1")));
        await client.ReturnOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "iothread1")));

        var badId = await client.ErrorOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "../coordinator")));
        var badTarget = await client.ErrorOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "a/b")));

        Assert.Equal(("GenericError", "Parameter 'id' expects an identifier"), badId);
        Assert.Equal(("GenericError", "Cannot find iothread a/b"), badTarget);
        Assert.Equal(("GenericError", "Invalid parameter type for 'poll-max-ns', expected: integer"), mistyped);
        Assert.Equal(("GenericError", "attempt to add duplicate property 'iothread1' to object (type 'container')"), duplicate);
        Assert.Equal("io0", before);
        Assert.Equal("iothread1", (string)(await NodeAsync(client, "n0"))["iothread"]!);
        var contexts = (await client.ReturnOfAsync("x-query-graph-lock"))["contexts"]!.AsArray().Select(c => (string)c!["context"]!);
        Assert.Contains("iothread1", contexts);
    }

    [Fact]
    public async Task Object_del_of_an_iothread_in_use_is_refused_and_succeeds_once_its_nodes_moved_away()
    {
        await using var fixture = await QmpFixture.StartAsync("io0");
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "iothread1")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n0")));
        await client.ReturnOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "iothread1")));

        var inUse = await client.ErrorOfAsync("object-del", Args(("id", "iothread1")));
        await client.ReturnOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "io0")));
        await client.ReturnOfAsync("object-del", Args(("id", "iothread1")));
        var gone = await client.ErrorOfAsync("object-del", Args(("id", "iothread1")));
        var moveToGone = await client.ErrorOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "iothread1")));
        var hostDefault = await client.ErrorOfAsync("object-del", Args(("id", "io0")));
        await client.ReturnOfAsync("object-add", Args(("qom-type", "iothread"), ("id", "iothread1")));
        await client.ReturnOfAsync("x-blockdev-set-iothread", Args(("node-name", "n0"), ("iothread", "iothread1")));

        Assert.Equal(("GenericError", "object 'iothread1' is in use, can not be deleted"), inUse);
        Assert.Equal(("GenericError", "object 'iothread1' not found"), gone);
        Assert.Equal(("GenericError", "Cannot find iothread iothread1"), moveToGone);
        Assert.Equal(("GenericError", "object 'io0' is in use, can not be deleted"), hostDefault);
        Assert.Equal("iothread1", (string)(await NodeAsync(client, "n0"))["iothread"]!);
    }

    [Fact]
    public async Task Block_export_add_and_del_show_in_query_block_exports_and_del_sends_BLOCK_EXPORT_DELETED()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "disk0")));

        await client.ReturnOfAsync("block-export-add", Args(("type", "nbd"), ("id", "e0"), ("node-name", "disk0"), ("name", "export0"), ("writable", true)));
        var listed = (await client.ReturnOfAsync("query-block-exports")).AsArray();
        await client.ReturnOfAsync("block-export-del", Args(("id", "e0")));
        var deleted = await client.WaitForEventAsync("BLOCK_EXPORT_DELETED");
        var after = (await client.ReturnOfAsync("query-block-exports")).AsArray();

        var export = Assert.Single(listed)!;
        Assert.Equal("nbd", (string)export["type"]!);
        Assert.Equal("e0", (string)export["id"]!);
        Assert.Equal("disk0", (string)export["node-name"]!);
        Assert.False((bool)export["shutting-down"]!);
        Assert.Equal("e0", (string)deleted["data"]!["id"]!);
        Assert.True((long)deleted["timestamp"]!["seconds"]! > 0);
        Assert.InRange((long)deleted["timestamp"]!["microseconds"]!, 0, 999_999);
        Assert.Empty(after);
    }

    //   flt0 (throttle) ── file ──> n1   after detach, then attach of n2
    [Fact]
    public async Task X_blockdev_change_removes_a_child_by_role_and_adds_a_node_as_the_first_free_role()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n1")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n2")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "raw"), ("node-name", "fmt0"), ("file", "n1")));

        var conflict = await client.ErrorOfAsync("x-blockdev-change", Args(("parent", "fmt0"), ("child", "file"), ("node", "n2")));
        await client.ReturnOfAsync("x-blockdev-change", Args(("parent", "fmt0"), ("node", "n2")));

        Assert.Equal(("GenericError", "The parameters child and node are in conflict"), conflict);
        var children = (await NodeAsync(client, "fmt0"))["children"]!.AsArray().Select(c => ((string)c!["child"]!, (string)c["node-name"]!));
        Assert.Equal([("backing", "n2"), ("file", "n1")], children);
        await client.ReturnOfAsync("x-blockdev-change", Args(("parent", "fmt0"), ("child", "backing")));
        Assert.Single((await NodeAsync(client, "fmt0"))["children"]!.AsArray());
    }

    //   fmt0 (raw) ── file ──> n1      after the first reopen:  fmt0 ── file ──> flt0 (throttle) ── file ──> n1
    [Fact]
    public async Task Blockdev_reopen_points_a_child_at_a_filter_and_back_and_the_filter_can_then_be_deleted()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n1")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "raw"), ("node-name", "fmt0"), ("file", "n1")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "throttle"), ("node-name", "flt0"), ("file", "n1")));

        await client.ReturnOfAsync("blockdev-reopen", Reopen(Args(("node-name", "fmt0"), ("driver", "raw"), ("file", "flt0"))));
        var inserted = FileChild(await NodeAsync(client, "fmt0"));
        await client.ReturnOfAsync("blockdev-reopen", Reopen(Args(("node-name", "fmt0"), ("driver", "raw"), ("file", "n1"))));
        var removed = FileChild(await NodeAsync(client, "fmt0"));
        await client.ReturnOfAsync("blockdev-del", Args(("node-name", "flt0")));

        Assert.Equal("flt0", inserted);
        Assert.Equal("n1", removed);
        var names = (await client.ReturnOfAsync("query-named-block-nodes")).AsArray().Select(n => (string)n!["node-name"]!);
        Assert.Equal(["fmt0", "n1"], names.Order());
    }

    [Theory]
    [InlineData("""{"options": [{"node-name": "fmt0", "driver": "raw"}, {"node-name": "n1", "driver": "null-co"}]}""", "blockdev-reopen here takes one node at a time, not 2")]
    [InlineData("""{"options": [{"node-name": "fmt0", "driver": "qcow2", "file": "n1"}]}""", "Cannot change the option 'driver'")]
    [InlineData("""{"options": [{"node-name": "fmt0", "driver": "raw", "file": "n1", "offset": 4096}]}""", "Cannot change the option 'offset' (blockdev-reopen here changes children only)")]
    [InlineData("""{"options": [{"node-name": "fmt0", "driver": "raw", "file": "n2", "backing": "n1"}]}""", "blockdev-reopen here changes one child at a time")]
    [InlineData("""{"options": [{"node-name": "nope", "driver": "raw"}]}""", "Failed to find node with node-name='nope'")]
    [InlineData("""{"options": [{"driver": "raw"}]}""", "Parameter 'options[0].node-name' is missing")]
    [InlineData("""{"options": {"node-name": "fmt0"}}""", "Invalid parameter type for 'options', expected: array")]
    public async Task Blockdev_reopen_refuses_what_it_cannot_do_in_one_write_section_in_QEMUs_words(string arguments, string desc)
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n1")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n2")));
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "raw"), ("node-name", "fmt0"), ("file", "n1")));

        var error = await client.ErrorOfAsync("blockdev-reopen", JsonNode.Parse(arguments)!.AsObject());

        Assert.Equal(("GenericError", desc), error);
        Assert.Equal("n1", FileChild(await NodeAsync(client, "fmt0")));
    }

    private static JsonObject Reopen(JsonObject node) => new() { ["options"] = new JsonArray(node) };

    private static string FileChild(JsonObject node) =>
        (string)node["children"]!.AsArray().Single(c => (string)c!["child"]! == "file")!["node-name"]!;

    [Fact]
    public async Task X_query_graph_lock_reports_contexts_counters_and_write_wait()
    {
        await using var fixture = await QmpFixture.StartAsync("io0", "io1");
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n0")));

        var status = (await client.ReturnOfAsync("x-query-graph-lock")).AsObject();

        Assert.Equal(["io0", "io1"], status["contexts"]!.AsArray().Select(c => (string)c!["context"]!).Order());
        var context = status["contexts"]![0]!;
        Assert.Equal(0, (int)context["readers"]!);
        Assert.Equal(0, (int)context["parked"]!);
        Assert.Equal(0, (int)context["waiting-for-disk"]!);
        Assert.NotNull(context["reported-epoch"]);
        Assert.Equal(0, (int)status["orphaned"]!);
        Assert.False((bool)status["writer-active"]!);
        Assert.True((long)status["writes-done"]! >= 1);
        Assert.NotNull(status["deferred-actions-run"]);
        Assert.NotNull(status["deferred-actions-failed"]);
        var wait = status["write-wait"]!;
        Assert.True((long)wait["count"]! >= 1);
        Assert.True((double)wait["max-us"]! >= (double)wait["p50-us"]!);
        Assert.NotNull(wait["p99-us"]);
    }

    [Fact]
    public async Task X_query_graph_lock_reports_each_phase_of_the_writes_and_the_slowest_drain()
    {
        await using var fixture = await QmpFixture.StartAsync("io0");
        await using var client = await fixture.ConnectAsync();
        await client.ReturnOfAsync("blockdev-add", Args(("driver", "null-co"), ("node-name", "n0")));

        var status = (await client.ReturnOfAsync("x-query-graph-lock")).AsObject();

        var phases = status["write-phases"]!.AsObject();
        Assert.Equal(["deferred", "drain", "queued", "section", "stop", "unlock"], phases.Select(p => p.Key).Order());
        foreach (var (_, phase) in phases)
        {
            Assert.Equal(["count", "max-us", "p50-us", "p99-us"], phase!.AsObject().Select(p => p.Key).Order());
        }
        // The blockdev-add was granted before it was answered: its stop and drain are counted.
        Assert.True((long)phases["drain"]!["count"]! >= 1);
        Assert.True((long)phases["stop"]!["count"]! >= 1);
        var slowest = status["slowest-drain"]!;
        Assert.True((long)slowest["epoch"]! >= 1);
        Assert.True((double)slowest["drain-us"]! >= 0);
    }

    [Fact]
    public async Task Nbd_server_start_on_a_host_without_an_NBD_server_is_refused()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var error = await client.ErrorOfAsync("nbd-server-start", Args(("addr", new JsonObject { ["type"] = "unix", ["path"] = "/tmp/nbd.sock" })));
        var missing = await client.ErrorOfAsync("nbd-server-start", Args(("addr", new JsonObject { ["type"] = "unix" })));

        Assert.Equal(("GenericError", "NBD server is not available on this host"), error);
        Assert.Equal(("GenericError", "Parameter 'addr.path' is missing"), missing);
    }
}
