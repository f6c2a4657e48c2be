using System.Collections.Immutable;
using Actors.Config;
using Actors.Core;
using Actors.GraphLock;
using Host.Hosting;
using Nodes.Commands;
using Nodes.Runtime;

namespace Host.Tests.Hosting;

public sealed class StorageHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_started_host_runs_graph_commands_and_requests_on_its_iothreads()
    {
        await using var fixture = await HostFixture.StartAsync("io0", "io1");
        fixture.Host.Disk.Create("disk.img", 1 << 20);

        await fixture.Host.Graph.Ask<WriteCompleted>(new AddNode("file0", "file", ImmutableSortedDictionary<string, string>.Empty.Add("filename", "disk.img"), fixture.System.Address.Host, "io1", ImmutableSortedDictionary<string, string>.Empty), Timeout);
        await fixture.Host.Graph.Ask<WriteCompleted>(new AddExport("e0", "file0", "disk0", Writable: true), Timeout);
        var written = await fixture.Host.Runtime.RunRequestAsync("file0", async node =>
        {
            await node.WriteAsync(0, new byte[] { 9 }, fua: true);
            return node.Length;
        });

        Assert.Equal(1 << 20, written);
        Assert.Equal("file0", fixture.Host.Runtime.FindExportByName("disk0")?.Node);
        var status = await fixture.Host.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
        Assert.Equal(["io0", "io1"], status.Contexts.Select(c => c.Context).Order());
        var graph = await fixture.Host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal("io1", graph.Find("file0")!.IoThread);
    }

    /// <summary>
    /// The second start on a data dir whose journal has a node on an IoThread it does not start
    /// fails, naming the IoThread (the command line then prints it and exits 1), instead of
    /// running with a half-recovered graph.
    /// </summary>
    [Fact]
    public async Task A_start_whose_journal_needs_a_missing_IoThread_fails_naming_it()
    {
        var dataDir = Directory.CreateTempSubdirectory("host-tests-").FullName;
        try
        {
            var config = ConfigFactory.ParseString($$"""actors.persistence.sqlite.path = "{{Path.Combine(dataDir, "journal.db")}}" """);
            var options = new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ["io0", "io1"]);
            var first = ActorSystem.Create("test", config);
            var host = await StorageHost.StartAsync(first, options);
            await host.Graph.Ask<WriteCompleted>(new AddNode("n0", "null-co", ImmutableSortedDictionary<string, string>.Empty, first.Address.Host, "io1", ImmutableSortedDictionary<string, string>.Empty), Timeout);
            await first.Terminate();

            var second = ActorSystem.Create("test", config);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StorageHost.StartAsync(second, options with { IoThreads = ["io0"] }));
            await second.Terminate();

            Assert.Equal($"The block graph could not be recovered from its journal: IoThread 'io1' does not exist on host '{second.Address.Host}'", error.Message);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
