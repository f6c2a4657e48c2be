using Host.Demo;
using Spectre.Console;

namespace Host.Tests.Demo;

/// <summary>
/// The demo run in-process on small settings: a fixed request count and seed, so each run issues
/// the same requests in the same mix (their interleaving with the graph changes varies; the
/// checks hold for every interleaving).
/// </summary>
public sealed class DemoCommandTests
{
    private static readonly string[] s_small = ["--size", "8M", "--connections", "3", "--depth", "4", "--requests", "3000", "--seed", "42"];

    [Fact]
    public async Task A_small_run_makes_every_graph_change_runs_the_deferred_unrefs_and_verifies_the_image()
    {
        var (console, _) = PlainConsole.Create();
        var report = await new DemoScenario(DemoOptions.Parse(s_small), console, DemoHooks.None).RunAsync();

        Assert.Null(report.Failure);
        Assert.Equal(3000, report.Requests);
        Assert.Equal(report.GraphChangesPlanned, report.GraphChanges);
        Assert.True(report.GraphChanges > 0);
        // throttle0 after its removal, spare-file after its delete, and after its final delete.
        Assert.Equal(3, report.DeferredUnrefsRun);
        Assert.Equal(0, report.DeferredUnrefsFailed);
        Assert.True(report.WriteSections >= report.GraphChanges);
        Assert.True(report.BlocksWritten > 0);
        Assert.Equal(8L << 20 >> 12, report.BlocksVerified);
    }

    [Fact]
    public async Task The_command_prints_the_report_and_exits_0_when_every_check_holds()
    {
        var (console, output) = PlainConsole.Create();
        var error = new StringWriter();

        var exit = await DemoCommand.RunAsync(s_small, console, error);

        Assert.True(exit == 0, $"exit {exit}: {error}\n{output}");
        Assert.Contains("Seed 42 (replay with --seed 42)", output.ToString());
        Assert.Contains("done: delete 'spare-file' and at once re-add it", output.ToString());
        Assert.Contains("graph changes done", output.ToString());
        Assert.Contains("demo: all checks passed", output.ToString());
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task A_byte_flipped_in_the_image_before_verification_fails_the_demo_naming_the_block()
    {
        var (console, output) = PlainConsole.Create();
        var error = new StringWriter();
        // Block 2 (offset 8192): whatever it holds, one flipped byte makes it wrong.
        var hooks = new DemoHooks(BeforeVerification: async image =>
        {
            await using var file = new FileStream(image, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            file.Position = 8192 + 100;
            var original = file.ReadByte();
            file.Position = 8192 + 100;
            file.WriteByte((byte)(original ^ 0xff));
        });

        var exit = await DemoCommand.RunAsync(s_small, console, error, hooks);

        Assert.Equal(1, exit);
        Assert.Contains("demo: FAILED: verification failed", error.ToString());
        Assert.Contains("block 2 (offset 8192) over NBD holds", error.ToString());
        Assert.Contains("block 2 (offset 8192) in the image file disk.raw holds", error.ToString());
        Assert.Contains("FAILED", output.ToString());
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "demo: unknown option '--bogus'")]
    [InlineData(new[] { "--connections", "0" }, "demo: --connections: expected a positive number, got '0'")]
    [InlineData(new[] { "--size", "1000" }, "demo: --size: the image size must be a positive multiple of 4k")]
    [InlineData(new[] { "--iothreads", "1" }, "demo: --iothreads: the demo moves nodes between IoThreads and needs at least 2")]
    [InlineData(new[] { "--seconds" }, "demo: option '--seconds' needs a value")]
    [InlineData(new[] { "--seed", "x" }, "demo: --seed: expected an integer, got 'x'")]
    [InlineData(new[] { "--hosts", "2" }, "demo: --hosts: the cluster demo runs 3 to 9 hosts (h1 is killed and the rest must stay a majority), not 2")]
    [InlineData(new[] { "--hosts", "x" }, "demo: --hosts: expected a positive number, got 'x'")]
    [InlineData(new[] { "--postgres", "Host=db" }, "demo: --postgres: only the cluster demo (--hosts) uses PostgreSQL")]
    [InlineData(new[] { "--hosts", "3", "--requests", "100" }, "demo: --requests: the cluster demo runs for --seconds")]
    public async Task A_bad_option_gets_one_line_naming_it_and_exit_code_1(string[] args, string message)
    {
        var (console, output) = PlainConsole.Create();
        var error = new StringWriter();

        var exit = await DemoCommand.RunAsync(args, console, error);

        Assert.Equal(1, exit);
        Assert.StartsWith(message, error.ToString());
        Assert.Single(error.ToString().TrimEnd().Split('\n'));
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Hosts_selects_the_cluster_demo_and_without_it_the_demo_runs_on_one_host()
    {
        var cluster = DemoOptions.Parse(["--hosts", "3", "--postgres", "Host=db;Username=actors"]);
        var single = DemoOptions.Parse([]);

        Assert.Equal(3, cluster.Hosts);
        Assert.Equal("Host=db;Username=actors", cluster.Postgres);
        Assert.Null(single.Hosts);
        Assert.Null(single.Postgres);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=actors;Password=actors;Database=nowhere", "demo: the cluster demo needs PostgreSQL for the graph's shared journal, and none answers at Host=127.0.0.1;Port=1;Database=nowhere (", "`source tests/services/postgres.sh` starts a local one")]
    [InlineData("no such key=1", "demo: --postgres: not an Npgsql connection string (", "no such key")]
    public async Task The_cluster_demo_without_a_PostgreSQL_it_can_reach_says_so_in_one_line_and_exits_1(string postgres, string message, string detail)
    {
        var (console, output) = PlainConsole.Create();
        var error = new StringWriter();

        var exit = await DemoCommand.RunAsync(["--hosts", "3", "--postgres", postgres], console, error);

        Assert.Equal(1, exit);
        Assert.StartsWith(message, error.ToString());
        Assert.Contains(detail, error.ToString());
        Assert.Single(error.ToString().TrimEnd().Split('\n'));
        Assert.Equal("", output.ToString());
    }
}
