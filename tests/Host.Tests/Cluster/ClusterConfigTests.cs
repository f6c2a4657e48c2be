using Actors.Config;
using Host.Cli;
using Host.Cluster;
using HoconConfig = Actors.Config.Config;

namespace Host.Tests.Cluster;

/// <summary>
/// How the cluster settings (--cluster-port, --join, actors.cluster.*) become Akka's own keys, as
/// the host hands them to Akka and --print-config shows them; and that a host without them stays alone.
/// </summary>
public sealed class ClusterConfigTests
{
    private static HoconConfig Load(params string[] args) => HostCommand.LoadConfig(HostOptions.Parse(args));

    [Fact]
    public void A_host_without_cluster_settings_keeps_a_local_actor_system_and_no_remoting()
    {
        var config = Load();

        Assert.False(ClusterConfig.IsMember(config));
        Assert.False(config.HasPath("akka.actor.provider"));
        Assert.False(config.HasPath("akka.remote"));
        Assert.Equal("Akka.Actor.LocalActorRefProvider", AkkaHandover.ToAkka(config).GetString("akka.actor.provider"));
    }

    [Fact]
    public void A_cluster_port_alone_makes_a_member_that_joins_itself_on_loopback()
    {
        var config = Load("--cluster-port", "2551");

        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(2551, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actors@127.0.0.1:2551"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Join_gives_the_seed_nodes_in_order_and_the_port_defaults_to_Akkas()
    {
        var config = Load("--join", "h1:2551", "--join", "h2:2551");

        Assert.Equal(["akka.tcp://actors@h1:2551", "akka.tcp://actors@h2:2551"], config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(ClusterConfig.AkkaDefaultPort, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
    }

    [Fact]
    public void A_public_hostname_is_advertised_and_is_the_address_a_host_joining_itself_uses()
    {
        var config = Load(
            "--set", "actors.cluster.hostname=0.0.0.0",
            "--set", "actors.cluster.public-hostname=h1",
            "--cluster-port", "2551");

        Assert.Equal("0.0.0.0", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("h1", config.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        Assert.Equal(["akka.tcp://actors@h1:2551"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Akkas_own_keys_alone_make_a_cluster_member()
    {
        var config = Load(
            "--set", "akka.remote.dot-netty.tcp.port=2552",
            "--set", """akka.cluster.seed-nodes=["akka.tcp://actors@127.0.0.1:2551"]""");

        Assert.True(ClusterConfig.IsMember(config));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal("127.0.0.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(2552, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actors@127.0.0.1:2551"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Akka_provider_cluster_alone_makes_a_member_that_joins_itself_on_Akkas_default_port()
    {
        var config = Load("--set", "akka.actor.provider=cluster");

        Assert.Equal(["akka.tcp://actors@127.0.0.1:2552"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Akka_keys_given_explicitly_win_over_the_cluster_settings()
    {
        var config = Load(
            "--cluster-port", "2551",
            "--join", "h1:2551",
            "--set", "akka.remote.dot-netty.tcp.hostname=10.1.1.1",
            "--set", "akka.remote.dot-netty.tcp.port=2600",
            "--set", """akka.cluster.seed-nodes=["akka.tcp://actors@h9:2700"]""");

        Assert.Equal("10.1.1.1", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(2600, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actors@h9:2700"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Messages_between_hosts_may_be_8_MiB_unless_Akkas_frame_size_is_given()
    {
        Assert.Equal(8L << 20, AkkaHandover.ToAkka(Load("--cluster-port", "2551")).GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal(1L << 20, AkkaHandover.ToAkka(Load("--cluster-port", "2551", "--set", "actors.cluster.maximum-message-size=1M")).GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal(200000, AkkaHandover.ToAkka(Load("--cluster-port", "2551", "--set", "akka.remote.dot-netty.tcp.maximum-frame-size=200000b")).GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        var refused = Assert.Throws<ArgumentException>(() => Load("--cluster-port", "2551", "--set", "actors.cluster.maximum-message-size=1000"));
        Assert.Equal("actors.cluster.maximum-message-size 1000: expected 32000 bytes to 2 GiB", refused.Message);
    }

    [Fact]
    public void A_cluster_certificate_turns_on_remoting_TLS_whose_addresses_are_akka_ssl_tcp()
    {
        var config = Load("--cluster-port", "2551", "--join", "h1:2551", "--set", "actors.cluster.tls.certificate=cluster.p12");

        Assert.True(config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        Assert.Equal(["akka.ssl.tcp://actors@h1:2551"], config.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void The_split_brain_resolver_is_Akkas_keep_majority()
    {
        var akka = AkkaHandover.ToAkka(Load("--cluster-port", "2551"));

        Assert.Equal("Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster", akka.GetString("akka.cluster.downing-provider-class"));
        Assert.Equal("keep-majority", akka.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.True(akka.GetBoolean("akka.cluster.run-coordinated-shutdown-when-down"));
    }

    [Fact]
    public async Task The_printed_config_shows_the_Akka_keys_the_cluster_options_map_to()
    {
        var (output, error) = (new StringWriter(), new StringWriter());

        var code = await HostCommand.RunAsync(["--print-config", "--cluster-port", "2553", "--join", "127.0.0.1:2551"], output, error);

        Assert.Equal((0, ""), (code, error.ToString()));
        var printed = ConfigFactory.ParseString(output.ToString(), "printed config");
        Assert.Equal("cluster", printed.GetString("akka.actor.provider"));
        Assert.Equal(2553, printed.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://actors@127.0.0.1:2551"], printed.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(2553, printed.GetInt("actors.cluster.port"));
    }

    [Fact]
    public async Task The_printed_config_shows_no_password()
    {
        var (output, error) = (new StringWriter(), new StringWriter());

        var code = await HostCommand.RunAsync(
            ["--print-config", "--cluster-port", "2553", "--set", "actors.cluster.tls.password=tls-secret", "--set", "akka.persistence.journal.sql.connection-string=\"Host=db;Password=db-secret\""],
            output,
            error);

        Assert.Equal((0, ""), (code, error.ToString()));
        Assert.DoesNotContain("secret", output.ToString());
        var printed = ConfigFactory.ParseString(output.ToString(), "printed config");
        Assert.Equal("<redacted>", printed.GetString("actors.cluster.tls.password"));
        Assert.Equal("Host=db;Password=<redacted>", printed.GetString("akka.persistence.journal.sql.connection-string"));
    }
}
