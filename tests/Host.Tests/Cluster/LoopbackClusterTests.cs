using System.Text.Json.Nodes;
using Host.Tests.Qmp;
using Xunit.Abstractions;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Host.Tests.Cluster;

/// <summary>
/// The cluster as processes on one machine, as a user runs it: three <c>actors-host</c> processes
/// on loopback, h1 forming the cluster (<c>--cluster-port</c>) and the others joining it
/// (<c>--join</c>), each with its own data dir. What the split-brain resolver does when a host
/// dies or stalls is seen through QMP <c>x-query-cluster</c> and the hosts' exit.
/// </summary>
public sealed class LoopbackClusterTests(ITestOutputHelper output) : TestKit(output: output), IAsyncLifetime
{
    private const int SIGKILL = 9;
    private const int SIGCONT = 18;
    private const int SIGSTOP = 19;

    /// <summary>Bounds each wait: starting a process, and noticing a dead host (heartbeats, then the resolver's stable-after).</summary>
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    private readonly List<HostProcessRunner> _hosts = [];

    private HostProcessRunner H1 => _hosts[0];

    private HostProcessRunner H2 => _hosts[1];

    private HostProcessRunner H3 => _hosts[2];

    public async Task InitializeAsync()
    {
        var port = LoopbackPorts.Free();
        _hosts.Add(await HostProcessRunner.StartAsync("h1", s_bound, "--cluster-port", $"{port}"));
        _hosts.AddRange(await Task.WhenAll(
            HostProcessRunner.StartAsync("h2", s_bound, "--cluster-port", $"{LoopbackPorts.Free()}", "--join", $"127.0.0.1:{port}"),
            HostProcessRunner.StartAsync("h3", s_bound, "--cluster-port", $"{LoopbackPorts.Free()}", "--join", $"127.0.0.1:{port}")));
        await AwaitMembersAsync(H1, "h1", "h2", "h3");
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Each_host_process_names_the_three_members_and_h1_as_coordinator()
    {
        foreach (var host in _hosts)
        {
            await AwaitMembersAsync(host, "h1", "h2", "h3");
            var answer = await QueryClusterAsync(host);
            Assert.Equal((host.Name, "h1"), ((string)answer["self"]!, (string)answer["coordinator"]!));
        }
    }

    [Fact]
    public async Task A_killed_host_is_downed_by_the_others_and_leaves_their_answer()
    {
        H3.Signal(SIGKILL);

        await AwaitMembersAsync(H1, "h1", "h2");
        await AwaitMembersAsync(H2, "h1", "h2");
    }

    [Fact]
    public async Task A_host_downed_while_it_stalled_exits_with_code_1_and_one_line_saying_so()
    {
        H3.Signal(SIGSTOP);
        await AwaitMembersAsync(H1, "h1", "h2");

        H3.Signal(SIGCONT);

        // Its own resolver downs it, or a member it reaches first tells it it was quarantined.
        Assert.Equal(1, await H3.WaitForExitAsync(s_bound));
        Assert.Matches(@"^actors-host: host h3 was (downed|quarantined by akka\.tcp://actors@127\.0\.0\.1:\d+): [^\n]*; stopping$", H3.Errors);
    }

    /// <summary>Waits until <paramref name="host"/>'s x-query-cluster lists exactly <paramref name="names"/>, all up.</summary>
    private Task AwaitMembersAsync(HostProcessRunner host, params string[] names) =>
        AwaitAssertAsync(async () =>
        {
            var members = (await QueryClusterAsync(host))["members"]!.AsArray();
            Assert.Equal(names.Select(n => (n, "up")), members.Select(m => ((string)m!["host"]!, (string)m["status"]!)).Order());
        }, s_bound, TimeSpan.FromMilliseconds(250));

    private static async Task<JsonObject> QueryClusterAsync(HostProcessRunner host)
    {
        await using var qmp = await host.ConnectAsync();
        return (await qmp.ReturnOfAsync("x-query-cluster")).AsObject();
    }
}
