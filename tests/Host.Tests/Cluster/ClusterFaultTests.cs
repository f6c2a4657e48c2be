using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Nodes.Nbd;
using TestTools;
using Xunit.Abstractions;

namespace Host.Tests.Cluster;

/// <summary>
/// Faults of a cluster of real host processes on loopback with the graph's journal in PostgreSQL
/// (DESIGN §9): a member killed with <c>kill -9</c>, the Coordinator's host killed, a member that
/// leaves cleanly. The split-brain resolver (keep-majority) downs a killed member once the
/// failure detector and <c>stable-after</c> agree (<see cref="ProcessCluster"/>'s settings, the
/// compose file's); each test waits for that, bounded, never for a fixed time.
/// </summary>
public sealed class ClusterFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>
    /// A read on h3 is inside the graph (a blkdebug node delays it a minute) when a graph change
    /// is asked on h1: the write waits for h3. h3 is killed: it is downed, the Coordinator stops
    /// counting it, the write completes, and h3's nodes show as unavailable.
    /// </summary>
    [PostgresFact]
    public Task A_member_killed_with_a_reader_inside_is_downed_and_the_waiting_write_completes()
        => WithClusterAsync(3, async cluster =>
        {
            await using var qmp = await ProcessCluster.QmpAsync(cluster["h1"]);
            await qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n3", ["x-host"] = "h3" });
            await qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "blkdebug", ["node-name"] = "slow3", ["file"] = "n3", ["delay-us"] = 60_000_000 });
            var export = await qmp.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e3", ["node-name"] = "slow3" });
            Assert.Equal("h3", (string?)export["x-host"]);
            Assert.Equal(cluster["h3"].NbdSocket, (string?)export["x-nbd-server"]);
            await using var client = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(cluster["h3"].NbdSocket), "slow3", maxInFlight: 1, CancellationToken.None);
            var inside = client.ReadAsync(0, new byte[4096]).AsTask();
            await WaitUntilAsync(async () => await ReadersInsideAsync(cluster["h3"]) > 0, "the read is inside the graph on h3");

            var write = qmp.ExecuteAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n1" });
            await WaitUntilAsync(() => AWriterWaitsAsync(cluster["h2"]), "the write waits for h3's reader");
            Assert.False(write.IsCompleted);

            var killed = Stopwatch.StartNew();
            cluster["h3"].Process!.KillAbruptly();
            var reply = await write.WaitAsync(Bound);
            output.WriteLine($"the waiting write completed {killed.Elapsed.TotalSeconds:F1} s after kill -9 of h3");

            Assert.True(reply.ContainsKey("return"), reply.ToJsonString());
            await Assert.ThrowsAnyAsync<Exception>(() => inside);
            var nodes = await qmp.ReturnOfAsync("query-named-block-nodes");
            var byName = nodes.AsArray().ToDictionary(n => (string)n!["node-name"]!, n => n!);
            Assert.Equal("its host 'h3' is not up", (string?)byName["n3"]["x-unavailable"]);
            Assert.Equal("its host 'h3' is not up", (string?)byName["slow3"]["x-unavailable"]);
            Assert.Null(byName["n1"]["x-unavailable"]);
            var refused = await qmp.ErrorOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n3b", ["x-host"] = "h3" });
            Assert.Contains("Host 'h3' is not up", refused.Desc);
        });

    /// <summary>
    /// The close of a deleted node on h2 is slow (blkdebug close-delay-us): its deferred unref is
    /// still running when the Coordinator's and the owner's host, h1, is killed. The singletons
    /// start on h2, the owner replays the journal, finds the unref pending and runs it: the
    /// journal holds exactly one close of that node, and nothing stays pending.
    /// </summary>
    [PostgresFact]
    public Task When_the_coordinators_host_is_killed_a_pending_unref_runs_exactly_once_on_the_next()
        => WithClusterAsync(3, async cluster =>
        {
            await using var qmp2 = await ProcessCluster.QmpAsync(cluster["h2"]);
            await qmp2.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "base2", ["x-host"] = "h2" });
            await qmp2.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "blkdebug", ["node-name"] = "closing2", ["file"] = "base2", ["close-delay-us"] = 5_000_000 });

            await qmp2.ReturnOfAsync("blockdev-del", new JsonObject { ["node-name"] = "closing2" });
            cluster["h1"].Process!.KillAbruptly();
            var killed = Stopwatch.StartNew();

            var added = await NextGraphChangeAsync(cluster["h2"], "after");
            output.WriteLine($"failover: the next graph change completed {killed.Elapsed.TotalSeconds:F1} s after kill -9 of h1");
            await using var qmp = await ProcessCluster.QmpAsync(cluster["h2"]);
            await WaitUntilAsync(async () => !(await NodeNamesAsync(qmp)).Contains("closing2"), "the pending unref of closing2 ran");

            Assert.Equal(1, cluster.JournalEvents("node-closed.v1", "closing2"));
            Assert.Equal(1, cluster.JournalEvents("unref-scheduled.v1", "closing2"));
            Assert.Contains(added, await NodeNamesAsync(qmp));
            Assert.DoesNotContain("closing2", await NodeNamesAsync(qmp));
        });

    /// <summary>
    /// A write waits for a read inside on h2 (blkdebug delays it 3 s), and a second read on h2
    /// parks behind the write. The Coordinator's host, h1, is killed: that write never happens,
    /// and the parked read resumes once the next Coordinator counts h2 (it registers h2 with no
    /// writer, so h2's IoThreads release what they parked).
    /// </summary>
    [PostgresFact]
    public Task Readers_parked_when_the_coordinators_host_is_killed_resume_under_the_next()
        => WithClusterAsync(3, async cluster =>
        {
            await using var qmp2 = await ProcessCluster.QmpAsync(cluster["h2"]);
            await qmp2.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "n2", ["x-host"] = "h2" });
            await qmp2.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "blkdebug", ["node-name"] = "slow2", ["file"] = "n2", ["delay-us"] = 3_000_000 });
            await qmp2.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e2", ["node-name"] = "slow2" });
            await using var client = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(cluster["h2"].NbdSocket), "slow2", maxInFlight: 2, CancellationToken.None);
            var inside = client.ReadAsync(0, new byte[4096]).AsTask();
            await WaitUntilAsync(async () => await ReadersInsideAsync(cluster["h2"]) > 0, "the first read is inside the graph on h2");
            _ = qmp2.ExecuteAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "never", ["x-host"] = "h2" });
            await WaitUntilAsync(() => AWriterWaitsAsync(cluster["h3"]), "the write waits for h2's reader");
            var parked = client.ReadAsync(4096, new byte[4096]).AsTask();
            await WaitUntilAsync(async () => await ParkedAsync(cluster["h2"]) > 0, "the second read parked on h2");

            cluster["h1"].Process!.KillAbruptly();

            await inside.WaitAsync(Bound);
            await parked.WaitAsync(Bound);
            var added = await NextGraphChangeAsync(cluster["h2"], "after");
            await using var qmp = await ProcessCluster.QmpAsync(cluster["h2"]);
            var names = await NodeNamesAsync(qmp);
            Assert.Contains(added, names);
            Assert.DoesNotContain("never", names);
        });

    /// <summary>A member that leaves cleanly (SIGTERM) hands the singletons over without waiting for the resolver.</summary>
    [PostgresFact]
    public Task When_the_coordinators_host_leaves_cleanly_the_next_graph_change_needs_no_downing()
        => WithClusterAsync(3, async cluster =>
        {
            await using var qmp3 = await ProcessCluster.QmpAsync(cluster["h3"]);
            await qmp3.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "before", ["x-host"] = "h2" });

            var stopped = Stopwatch.StartNew();
            var end = await cluster["h1"].Process!.StopAsync();
            Assert.Equal(0, end.ExitCode);
            var added = await NextGraphChangeAsync(cluster["h3"], "after");
            output.WriteLine($"hand-over: the next graph change completed {stopped.Elapsed.TotalSeconds:F1} s after SIGTERM to h1");

            var nodes = (await qmp3.ReturnOfAsync("query-named-block-nodes")).AsArray();
            Assert.Contains(added, nodes.Select(n => (string)n!["node-name"]!));
            Assert.Contains("before", nodes.Select(n => (string)n!["node-name"]!));
            Assert.All(nodes, n => Assert.Null(n!["x-unavailable"]));
        });

    /// <summary>
    /// h1, which holds the singletons, is cut off (everything sent to it is dropped at its relay):
    /// each side sees the other unreachable. The resolver keeps the majority: h1 downs itself and
    /// exits, h2 and h3 down h1 and start the singletons. Meanwhile h1's Coordinator grants no
    /// write (a write needs every host's report, and h2's and h3's cannot reach it), so at no time
    /// do two Coordinators write: the change asked on h1 never happens, the one asked on h2 does.
    /// </summary>
    [PostgresFact]
    public Task In_a_partition_the_minority_downs_itself_and_only_the_majority_changes_the_graph()
        => WithClusterAsync(3, async cluster =>
        {
            await using var qmp1 = await ProcessCluster.QmpAsync(cluster["h1"]);
            await qmp1.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "before", ["x-host"] = "h2" });

            cluster.CutOff(cluster["h1"]);
            var minority = qmp1.ExecuteAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "minority", ["x-host"] = "h1" });
            var added = await NextGraphChangeAsync(cluster["h2"], "majority");
            await WaitUntilAsync(() => Task.FromResult(cluster["h1"].Process!.HasExited), "h1 downed itself and stopped");

            await Assert.ThrowsAnyAsync<Exception>(() => minority);
            await using var qmp2 = await ProcessCluster.QmpAsync(cluster["h2"]);
            var names = await NodeNamesAsync(qmp2);
            Assert.Contains("before", names);
            Assert.Contains(added, names);
            Assert.DoesNotContain("minority", names);
            Assert.Equal(0, cluster.JournalEvents("node-added.v1", "minority"));
        });

    /// <summary>Runs <paramref name="scenario"/> on a fresh cluster of <paramref name="hosts"/> processes; when it fails, the test shows every host's log.</summary>
    private async Task WithClusterAsync(int hosts, Func<ProcessCluster, Task> scenario)
    {
        await using var cluster = await ProcessCluster.StartAsync(hosts);
        try
        {
            await scenario(cluster);
        }
        catch
        {
            foreach (var member in cluster.Members)
            {
                output.WriteLine($"----- {member.Name}'s log\n{member.Process?.OutputSoFar}");
            }
            throw;
        }
    }

    /// <summary>Readers inside the graph on <paramref name="member"/>'s IoThreads.</summary>
    private static async Task<int> ReadersInsideAsync(ProcessCluster.Member member) =>
        (await GraphLockAsync(member))["contexts"]!.AsArray().Sum(c => (int)c!["readers"]!);

    /// <summary>Readers parked on <paramref name="member"/>'s IoThreads.</summary>
    private static async Task<int> ParkedAsync(ProcessCluster.Member member) =>
        (await GraphLockAsync(member))["contexts"]!.AsArray().Sum(c => (int)c!["parked"]!);

    /// <summary>Whether the Coordinator has a writer that waits for readers (asked through <paramref name="member"/>'s QMP).</summary>
    private static async Task<bool> AWriterWaitsAsync(ProcessCluster.Member member)
    {
        var status = await GraphLockAsync(member);
        return (bool?)status["writer-active"] == true && (bool?)status["in-write-section"] != true;
    }

    /// <summary><paramref name="member"/>'s answer to x-query-graph-lock: its IoThreads, and the Coordinator's state.</summary>
    private static async Task<JsonNode> GraphLockAsync(ProcessCluster.Member member)
    {
        await using var qmp = await ProcessCluster.QmpAsync(member);
        return await qmp.ReturnOfAsync("x-query-graph-lock");
    }

    /// <summary>
    /// Adds a node on <paramref name="member"/> until one addition succeeds, and returns its name.
    /// Right after the singletons' host died, the proxies still send to it until it is downed, so
    /// a try can get no answer: each try is bounded, on a fresh connection, under a new name (a
    /// try that got no answer may still run later).
    /// </summary>
    private static async Task<string> NextGraphChangeAsync(ProcessCluster.Member member, string name)
    {
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        for (var attempt = 1; ; attempt++)
        {
            var node = $"{name}-{attempt}";
            await using var qmp = await ProcessCluster.QmpAsync(member);
            try
            {
                var reply = await qmp.ExecuteAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = node, ["x-host"] = member.Name }).WaitAsync(TimeSpan.FromSeconds(2));
                if (reply.ContainsKey("return"))
                {
                    return node;
                }
                // Refused (the new owner is still recovering, say): a moment before the next try.
                last = reply.ToJsonString();
                await Task.Delay(100);
            }
            catch (TimeoutException) when (deadline.Elapsed < Bound)
            {
                last = "no answer";
            }
            if (deadline.Elapsed > Bound)
            {
                throw new TimeoutException($"No graph change completed on {member.Name} within {Bound.TotalSeconds} s; the last try got: {last}");
            }
        }
    }

    private static async Task<IReadOnlyList<string>> NodeNamesAsync(Qmp.QmpTestClient qmp) =>
        [.. (await qmp.ReturnOfAsync("query-named-block-nodes")).AsArray().Select(n => (string)n!["node-name"]!).Order()];

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > Bound)
            {
                throw new TimeoutException($"Waited {Bound.TotalSeconds} s for: {what}");
            }
            await Task.Delay(100);
        }
    }
}
