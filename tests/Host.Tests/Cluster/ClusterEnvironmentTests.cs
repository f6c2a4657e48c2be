using Host.Cli;
using Host.Tests.Cli;
using HoconConfig = Actors.Config.Config;

namespace Host.Tests.Cluster;

/// <summary>The environment variables compose sets for the cluster: ACTORS_CLUSTER_PORT and ACTORS_JOIN (comma-separated).</summary>
[Collection(ProcessStateCollection.Name)]
public sealed class ClusterEnvironmentTests : IDisposable
{
    private static readonly string[] Variables = ["ACTORS_JOIN", "ACTORS_CLUSTER_PORT", "ACTORS_CLUSTER_HOSTNAME", "ACTORS_CLUSTER_PUBLIC_HOSTNAME"];

    public void Dispose()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private static HoconConfig Load(params string[] args) => HostCommand.LoadConfig(HostOptions.Parse(args));

    [Fact]
    public void ACTORS_JOIN_lists_the_seed_nodes_separated_by_commas()
    {
        Environment.SetEnvironmentVariable("ACTORS_JOIN", "h1:2551, h2:2551,h3:2551");

        Assert.Equal(
            ["akka.tcp://actors@h1:2551", "akka.tcp://actors@h2:2551", "akka.tcp://actors@h3:2551"],
            Load().GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Join_on_the_command_line_wins_over_ACTORS_JOIN()
    {
        Environment.SetEnvironmentVariable("ACTORS_JOIN", "h1:2551,h2:2551");

        Assert.Equal(["akka.tcp://actors@h9:2551"], Load("--join", "h9:2551").GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void The_container_settings_come_from_the_environment()
    {
        Environment.SetEnvironmentVariable("ACTORS_CLUSTER_PORT", "2551");
        Environment.SetEnvironmentVariable("ACTORS_CLUSTER_HOSTNAME", "0.0.0.0");
        Environment.SetEnvironmentVariable("ACTORS_CLUSTER_PUBLIC_HOSTNAME", "h2");

        var config = Load();

        Assert.Equal(("0.0.0.0", "h2", 2551), (
            config.GetString("akka.remote.dot-netty.tcp.hostname"),
            config.GetString("akka.remote.dot-netty.tcp.public-hostname"),
            config.GetInt("akka.remote.dot-netty.tcp.port")));
    }

    [Fact]
    public async Task A_malformed_ACTORS_JOIN_entry_exits_1_naming_the_setting()
    {
        Environment.SetEnvironmentVariable("ACTORS_JOIN", "h1:2551,h2");
        var (output, error) = (new StringWriter(), new StringWriter());

        var code = await HostCommand.RunAsync(["--print-config"], output, error);

        Assert.Equal((1, "actors-host: actors.cluster.join h2: expected HOST:PORT"), (code, error.ToString().Trim()));
    }
}
