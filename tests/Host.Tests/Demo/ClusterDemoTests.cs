using Host.Demo;
using TestTools;

namespace Host.Tests.Demo;

/// <summary>
/// <c>demo --hosts 3</c> as a user runs it, on small settings: three host processes of this build
/// on loopback with the graph's journal in PostgreSQL, I/O on h2 and h3, h1 (the Coordinator's
/// host) killed mid-run. The demo's own checks are the specification: exit 0 says every block
/// held what was last written and every deferred unref ran exactly once.
/// </summary>
public sealed class ClusterDemoTests
{
    [PostgresFact]
    public async Task Killing_the_coordinators_host_mid_run_loses_no_write_and_runs_every_deferred_unref_exactly_once()
    {
        var (console, output) = PlainConsole.Create();
        var error = new StringWriter();

        var exit = await DemoCommand.RunAsync(
            ["--hosts", "3", "--seconds", "8", "--size", "8M", "--connections", "2", "--depth", "4", "--seed", "42", "--postgres", PostgresTestDatabase.ConnectionString!],
            console,
            error);

        var text = output.ToString();
        Assert.True(exit == 0, $"exit {exit}: {error}\n{text}");
        Assert.Contains("Host h3 up", text);
        Assert.Contains("kill -9 h1", text);
        Assert.Matches(@"failover time\s+│\s+\d+\.\d\d s \(kill -9 of h1", text);
        Assert.Matches(@"I/O during the failover\s+│\s+h2: [\d,]+, h3: [\d,]+ requests", text);
        Assert.Matches(@"write sections\s+│\s+\d+ on h1 until the kill \+ \d+ on h2", text);
        Assert.Matches(@"graph changes done\s+│\s+(\d+) of \1 ", text);
        Assert.Matches(@"deferred unrefs \(scheduled / closed exactly once\)\s+│\s+(\d+) / \1 ", text);
        Assert.Contains("blocks written / verified", text);
        Assert.Contains("demo: all checks passed", text);
        Assert.Equal("", error.ToString());
    }
}
