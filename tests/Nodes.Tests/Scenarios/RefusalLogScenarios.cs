using Akka.Event;
using Nodes.Disk;
using Nodes.Graph;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// A command the graph's rules or the live nodes refuse is the requester's answer and one info
/// line in the host's log: a refusal is not a fault, so no error and no stack trace. The owner
/// logs before it answers, so once the answer is in, so is every line it logged.
/// </summary>
public sealed class RefusalLogScenarios(ITestOutputHelper output) : NodesTestKit(output), IDisposable
{
    private readonly TempDataDir _dir = new();

    void IDisposable.Dispose()
    {
        Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_duplicate_node_name_is_one_info_line_and_no_error()
    {
        var h = new NodeHarness(this);
        await h.Add("n0", "null-co");
        var log = SubscribeToLog();

        await Assert.ThrowsAsync<GraphException>(() => h.Add("n0", "null-co"));

        var line = Assert.Single(Logged(log));
        Assert.Equal(LogLevel.InfoLevel, line.LogLevel());
        Assert.Contains("Duplicate nodes with node-name='n0'", line.ToString());
    }

    [Fact]
    public async Task An_image_path_the_disk_refuses_is_one_info_line_and_no_error()
    {
        var h = new NodeHarness(this, disk: new DiskBackend(_dir.DataDir));
        var log = SubscribeToLog();

        await Assert.ThrowsAsync<ImagePathException>(() => h.Add("file0", "file", "filename=/etc/passwd"));

        var line = Assert.Single(Logged(log));
        Assert.Equal(LogLevel.InfoLevel, line.LogLevel());
        Assert.Contains("Image path '/etc/passwd' of node 'file0' refused", line.ToString());
    }

    private Akka.TestKit.TestProbe SubscribeToLog()
    {
        var log = CreateTestProbe();
        Sys.EventStream.Subscribe(log.Ref, typeof(LogEvent));
        return log;
    }

    /// <summary>What the graph's owner logged so far.</summary>
    private static List<LogEvent> Logged(Akka.TestKit.TestProbe log)
    {
        var lines = new List<LogEvent>();
        while (log.HasMessages)
        {
            if (log.ReceiveOne(TimeSpan.Zero) is LogEvent { LogSource: var source } line && source.Contains("/graph/", StringComparison.Ordinal))
            {
                lines.Add(line);
            }
        }
        return lines;
    }
}
