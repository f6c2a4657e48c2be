using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster;
using Actors.Config;
using Host.Cli;
using Host.Hosting;
using Host.Tests.Qmp;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Host.Tests.Cluster;

/// <summary>
/// QMP <c>x-query-cluster</c> on hosts in-process on loopback: every member with its host name,
/// address, status and roles, the host the Coordinator runs on (the oldest member) and the host
/// asked. The test kit's own system only waits on the hosts' cluster state.
/// </summary>
public sealed class XQueryClusterTests(ITestOutputHelper output) : TestKit(output: output)
{
    private static readonly TimeSpan s_converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Three_hosts_form_one_cluster_and_each_names_all_three_with_the_oldest_as_coordinator()
    {
        await using var h1 = await ClusterHost.StartAsync("h1");
        await using var h2 = await ClusterHost.StartAsync("h2", join: h1);
        await using var h3 = await ClusterHost.StartAsync("h3", join: h1);
        ClusterHost[] hosts = [h1, h2, h3];
        await AwaitAssertAsync(() => Assert.All(hosts, h => Assert.Equal(3, UpMembers(h))), s_converge);

        foreach (var host in hosts)
        {
            await using var qmp = await host.ConnectAsync();
            var answer = (await qmp.ReturnOfAsync("x-query-cluster")).AsObject();

            Assert.Equal(host.Name, (string?)answer["self"]);
            Assert.Equal("h1", (string?)answer["coordinator"]);
            Assert.Equal(
                hosts.OrderBy(h => h.Port).Select(h => (h.Name, h.Address, "up", 0, true)),
                answer["members"]!.AsArray().Select(m => ((string)m!["host"]!, (string)m["address"]!, (string)m["status"]!, m["roles"]!.AsArray().Count, (bool)m["reachable"]!)));
        }
    }

    [Fact]
    public async Task A_host_that_leaves_is_gone_from_the_answer_of_the_others()
    {
        await using var h1 = await ClusterHost.StartAsync("h1");
        await using var h2 = await ClusterHost.StartAsync("h2", join: h1);
        var h3 = await ClusterHost.StartAsync("h3", join: h1);
        await AwaitAssertAsync(() => Assert.Equal(3, UpMembers(h1)), s_converge);

        // Stopping a host leaves the cluster first (Akka's coordinated shutdown).
        await h3.DisposeAsync();
        await AwaitAssertAsync(() => Assert.Equal(2, h1.Cluster.State.Members.Count), s_converge);

        await using var qmp = await h1.ConnectAsync();
        var answer = await qmp.ReturnOfAsync("x-query-cluster");
        Assert.Equal(["h1", "h2"], answer["members"]!.AsArray().Select(m => (string)m!["host"]!).Order());
    }

    [Fact]
    public async Task Roles_are_listed_as_Akka_has_them()
    {
        await using var h1 = await ClusterHost.StartAsync("h1", join: null, "--set", """akka.cluster.roles=["storage", "edge"]""");
        await AwaitAssertAsync(() => Assert.Equal(1, UpMembers(h1)), s_converge);

        await using var qmp = await h1.ConnectAsync();
        var member = (await qmp.ReturnOfAsync("x-query-cluster"))["members"]!.AsArray().Single()!;

        Assert.Equal(["edge", "storage"], member["roles"]!.AsArray().Select(r => (string)r!));
    }

    [Fact]
    public async Task A_member_that_does_not_tell_its_name_is_named_by_its_address()
    {
        await using var h1 = await ClusterHost.StartAsync("h1");
        // A bare member: an actor system of the cluster, with no host identity in it.
        var port = LoopbackPorts.Free();
        var bare = AkkaHandover.CreateSystem(StorageHost.SystemName, HostCommand.LoadConfig(HostOptions.Parse(["--cluster-port", $"{port}", "--join", $"127.0.0.1:{h1.Port}"])), loggerFactory: null);
        try
        {
            await AwaitAssertAsync(() => Assert.Equal(2, UpMembers(h1)), s_converge);

            await using var qmp = await h1.ConnectAsync();
            var answer = await qmp.ReturnOfAsync("x-query-cluster");

            var address = $"akka.tcp://actors@127.0.0.1:{port}";
            Assert.Contains(answer["members"]!.AsArray(), m => (string?)m!["address"] == address && (string?)m["host"] == address);
        }
        finally
        {
            await bare.Terminate();
        }
    }

    [Fact]
    public async Task A_lone_host_answers_as_a_cluster_of_one_that_it_coordinates()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var qmp = await fixture.ConnectAsync();

        var answer = await qmp.ReturnOfAsync("x-query-cluster");

        var self = fixture.Host.Host.Runtime.Host;
        Assert.Equal(
            JsonNode.Parse($$"""{"members":[{"host":"{{self}}","address":"akka://actors","status":"up","roles":[],"reachable":true,"nbd-server":null}],"coordinator":"{{self}}","self":"{{self}}"}"""),
            answer,
            JsonNode.DeepEquals);
    }

    [Fact]
    public async Task X_query_cluster_takes_no_arguments()
    {
        await using var fixture = await QmpFixture.StartAsync();
        await using var qmp = await fixture.ConnectAsync();

        var (errorClass, _) = await qmp.ErrorOfAsync("x-query-cluster", new JsonObject { ["verbose"] = true });

        Assert.Equal("GenericError", errorClass);
    }

    private static int UpMembers(ClusterHost host) => host.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up);
}
