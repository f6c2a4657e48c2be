using Host.Cli;
using Host.Cluster;

namespace Host.Tests.Cluster;

/// <summary>The host's two cluster options, --join HOST:PORT and --cluster-port PORT, as the command line takes them.</summary>
public sealed class ClusterOptionsTests
{
    [Fact]
    public void Join_is_repeatable_and_keeps_the_order_given()
    {
        var options = HostOptions.Parse(["--join", "h1:2551", "--join", "10.0.0.2:2552", "--join", "[::1]:2553"]);

        Assert.Equal([new SeedNode("h1", 2551), new SeedNode("10.0.0.2", 2552), new SeedNode("[::1]", 2553)], options.Join);
    }

    [Fact]
    public void A_seed_node_is_the_actor_system_actors_at_that_host_and_port_over_tcp_or_tls()
    {
        var seed = SeedNode.Parse("h1:2551", "--join");

        Assert.Equal(("akka.tcp://actors@h1:2551", "akka.ssl.tcp://actors@h1:2551"), (seed.Address(tls: false), seed.Address(tls: true)));
    }

    [Fact]
    public void Cluster_port_is_read_as_a_port_number()
    {
        Assert.Equal(2551, HostOptions.Parse(["--cluster-port", "2551"]).ClusterPort);
    }

    [Fact]
    public void Without_cluster_options_the_host_has_no_cluster_port_and_no_seeds()
    {
        var options = HostOptions.Parse([]);

        Assert.Null(options.ClusterPort);
        Assert.Empty(options.Join);
    }

    [Theory]
    [InlineData("--join", "foo", "--join foo: expected HOST:PORT")]
    [InlineData("--join", "host:notaport", "--join host:notaport: expected HOST:PORT")]
    [InlineData("--join", "host:0", "--join host:0: expected HOST:PORT")]
    [InlineData("--join", "host:65536", "--join host:65536: expected HOST:PORT")]
    [InlineData("--join", ":2551", "--join :2551: expected HOST:PORT")]
    [InlineData("--join", "bad host:2551", "--join bad host:2551: expected HOST:PORT")]
    [InlineData("--cluster-port", "x", "--cluster-port x: expected a port (1-65535)")]
    [InlineData("--cluster-port", "0", "--cluster-port 0: expected a port (1-65535)")]
    [InlineData("--cluster-port", "70000", "--cluster-port 70000: expected a port (1-65535)")]
    public void A_malformed_cluster_option_is_refused_in_one_line_naming_it(string option, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => HostOptions.Parse([option, value]));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public async Task A_malformed_join_exits_1_with_one_line()
    {
        var (output, error) = (new StringWriter(), new StringWriter());

        var code = await HostCommand.RunAsync(["--join", "foo"], output, error);

        Assert.Equal((1, "actors-host: --join foo: expected HOST:PORT"), (code, error.ToString().Trim()));
        Assert.Equal("", output.ToString());
    }
}
