using System.Text.Json.Nodes;

namespace Host.Tests.Qmp;

/// <summary>The wire protocol as QEMU's docs/interop/qmp-spec.rst describes it.</summary>
public sealed class QmpProtocolTests
{
    [Fact]
    public async Task The_greeting_has_QEMUs_shape_with_version_and_no_capabilities()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await QmpTestClient.ConnectAsync(fixture.SocketPath);

        var greeting = await client.ReadAsync();

        var qmp = greeting!["QMP"]!;
        Assert.Equal(7, (int)qmp["version"]!["qemu"]!["major"]!);
        Assert.Equal(2, (int)qmp["version"]!["qemu"]!["minor"]!);
        Assert.Equal(0, (int)qmp["version"]!["qemu"]!["micro"]!);
        Assert.Equal("actors", (string)qmp["version"]!["package"]!);
        Assert.Empty(qmp["capabilities"]!.AsArray());
    }

    [Fact]
    public async Task Commands_before_negotiation_get_CommandNotFound_and_qmp_capabilities_then_opens_the_session()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await QmpTestClient.ConnectAsync(fixture.SocketPath);
        await client.ReadAsync();

        var early = await client.ErrorOfAsync("query-version");
        var negotiated = await client.ExecuteAsync("qmp_capabilities");
        var again = await client.ErrorOfAsync("qmp_capabilities");
        var version = await client.ReturnOfAsync("query-version");

        Assert.Equal(("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"), early);
        Assert.Empty(negotiated["return"]!.AsObject());
        Assert.Equal("CommandNotFound", again.Class);
        Assert.Equal("actors", (string)version["package"]!);
    }

    [Fact]
    public async Task Malformed_json_gets_a_GenericError_and_the_session_goes_on()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        await client.SendLineAsync("""{"execute": }""");
        var broken = await client.ReadReplyAsync();
        await client.SendLineAsync("[1, 2]");
        var notAnObject = await client.ReadReplyAsync();
        var after = await client.ReturnOfAsync("query-version");

        Assert.Equal("GenericError", (string)broken["error"]!["class"]!);
        Assert.StartsWith("JSON parse error", (string)broken["error"]!["desc"]!);
        Assert.Equal("QMP input must be a JSON object", (string)notAnObject["error"]!["desc"]!);
        Assert.Equal(7, (int)after["qemu"]!["major"]!);
    }

    [Fact]
    public async Task Malformed_json_is_answered_in_QEMUs_terms_with_the_position()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        (string Line, string Desc)[] cases =
        [
            ("""{"execute": tru}""", "invalid keyword 'tru' at line 1, column 13"),
            ("""{"execute": }""", "expecting value at line 1, column 13"),
            ("{\"execute\":\n  tru}", "invalid keyword 'tru' at line 2, column 3"),
            ("""{"execute" "x"}""", "missing ':' in object pair at line 1, column 12"),
            ("""{execute: "x"}""", "invalid keyword 'execute' at line 1, column 2"),
            ("""{"execute": "x",}""", "trailing ',' in object at line 1, column 17"),
            ("""{"execute": "x" "y"}""", "expecting ',' or '}' in object at line 1, column 17"),
            ("""{"a": [1 2]}""", "expecting ',' or ']' in array at line 1, column 10"),
            ("""{"a": [1,]}""", "trailing ',' in array at line 1, column 10"),
            ("""{"a": 01}""", "invalid number '01' at line 1, column 7"),
            ("""{"a": 1.}""", "invalid number '1.' at line 1, column 7"),
            ("""{"a": "b\q"}""", @"invalid escape '\q' in string at line 1, column 10"),
            ("""{"a": 'x'}""", "single-quoted strings are not supported; use \" at line 1, column 7"),
            ("""{"a": ’}""", "stray '’' at line 1, column 7"),
            (new string('[', 65), "nesting deeper than 64 levels at line 1, column 65"),
        ];

        var replies = new List<string>();
        foreach (var (line, _) in cases)
        {
            await client.SendLineAsync(line);
            replies.Add((string)(await client.ReadReplyAsync())["error"]!["desc"]!);
        }

        Assert.Equal(cases.Select(c => $"JSON parse error, {c.Desc}"), replies);
    }

    [Fact]
    public async Task The_id_of_a_request_is_echoed_in_its_reply_and_its_error()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var ok = await client.ExecuteAsync("query-version", id: JsonNode.Parse("""{"tag": [1, "a"]}"""));
        var failed = await client.ExecuteAsync("no-such-command", id: 42);

        Assert.Equal("""{"tag":[1,"a"]}""", ok["id"]!.ToJsonString());
        Assert.Equal(42, (int)failed["id"]!);
    }

    [Fact]
    public async Task An_unknown_command_gets_CommandNotFound_in_QEMUs_words()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var error = await client.ErrorOfAsync("no-such-command");

        Assert.Equal(("CommandNotFound", "The command no-such-command has not been found"), error);
    }

    [Fact]
    public async Task Missing_unexpected_and_mistyped_arguments_get_QEMUs_messages()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var missing = await client.ErrorOfAsync("blockdev-del", []);
        var unexpected = await client.ErrorOfAsync("query-version", new JsonObject { ["verbose"] = true });
        var mistyped = await client.ErrorOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n0", ["size"] = "1M" });

        Assert.Equal(("GenericError", "Parameter 'node-name' is missing"), missing);
        Assert.Equal(("GenericError", "Parameter 'verbose' is unexpected"), unexpected);
        Assert.Equal(("GenericError", "Invalid parameter type for 'size', expected: integer"), mistyped);
    }

    [Fact]
    public async Task Pipelined_commands_are_answered_in_order()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        await client.SendLineAsync("""{"execute": "query-version", "id": 1}""" + "\n" + """{"execute": "nope", "id": 2}""" + "\n" + """{"execute": "query-block-exports", "id": 3}""");

        Assert.Equal(1, (int)(await client.ReadReplyAsync())["id"]!);
        Assert.Equal(2, (int)(await client.ReadReplyAsync())["id"]!);
        Assert.Equal(3, (int)(await client.ReadReplyAsync())["id"]!);
    }

    [Fact]
    public async Task A_request_may_span_lines_and_two_may_share_one_as_with_QEMUs_JSON_streamer()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        await client.SendLineAsync("{\"execute\":\n  \"query-version\",\n \"id\": 1}");
        var spanning = await client.ReadReplyAsync();
        await client.SendLineAsync("""{"execute": "query-version", "id": 2}{"execute": "query-version", "id": 3}""");
        var first = await client.ReadReplyAsync();
        var second = await client.ReadReplyAsync();

        Assert.Equal(1, (int)spanning["id"]!);
        Assert.NotNull(spanning["return"]);
        Assert.Equal(2, (int)first["id"]!);
        Assert.Equal(3, (int)second["id"]!);
    }

    [Fact]
    public async Task After_a_malformed_request_the_rest_of_its_line_is_dropped_and_the_next_line_runs()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        await client.SendLineAsync("""{"execute": ]] "id": 1} {"execute": "query-version", "id": 2}""" + "\n" + """{"execute": "query-version", "id": 3}""");
        var error = await client.ReadReplyAsync();
        var next = await client.ReadReplyAsync();

        Assert.Equal("GenericError", (string)error["error"]!["class"]!);
        Assert.Equal(3, (int)next["id"]!);
    }

    [Fact]
    public async Task A_request_that_never_ends_gets_an_error_and_the_session_is_closed()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        // An array still open at the end of the line: incomplete, never malformed.
        await client.SendLineAsync("[" + string.Concat(Enumerable.Repeat("1,", Host.Qmp.QmpSession.MaxRequestBytes / 2 + 1)));
        var error = await client.ReadReplyAsync();
        var end = await client.ReadAsync();

        Assert.Equal("GenericError", (string)error["error"]!["class"]!);
        Assert.Null(end);
    }

    [Fact]
    public async Task Stopping_the_server_removes_its_socket_file()
    {
        await using var fixture = await QmpFixture.StartAsync();

        await fixture.Server.StopAsync();

        Assert.False(File.Exists(fixture.SocketPath));
    }

    [Fact]
    public async Task Quit_returns_then_sends_SHUTDOWN_and_closes_the_session()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var reply = await client.ExecuteAsync("quit");
        var shutdown = await client.WaitForEventAsync("SHUTDOWN");
        var end = await client.ReadAsync();

        Assert.Empty(reply["return"]!.AsObject());
        Assert.False((bool)shutdown["data"]!["guest"]!);
        Assert.Equal("host-qmp-quit", (string)shutdown["data"]!["reason"]!);
        Assert.Null(end);
        Assert.True(fixture.Server.WhenQuitRequested.IsCompleted);
    }

    [Fact]
    public async Task A_client_that_hangs_up_right_after_sending_quit_still_stops_the_host()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using (var client = await QmpTestClient.ConnectAsync(fixture.SocketPath))
        {
            // What `echo ... | nc` does: write, and close without reading a reply.
            await client.SendLineAsync("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"quit\"}");
        }

        await fixture.Server.WhenQuitRequested.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Query_commands_lists_every_command_including_negotiation_and_quit()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();

        var names = (await client.ReturnOfAsync("query-commands")).AsArray().Select(c => (string)c!["name"]!).ToList();

        Assert.Contains("qmp_capabilities", names);
        Assert.Contains("quit", names);
        Assert.Contains("blockdev-add", names);
        Assert.Contains("x-query-graph-lock", names);
    }
}
