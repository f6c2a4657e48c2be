using System.Collections.Immutable;
using Akka.Actor;
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

        await fixture.Host.Graph.Ask<WriteCompleted>(new AddNode("file0", "file", Options("filename", "disk.img"), fixture.Host.Runtime.Host, "io1", Options()), Timeout);
        await fixture.Host.Graph.Ask<WriteCompleted>(new AddExport("e0", "file0", "disk0", Writable: true), Timeout);
        var written = await fixture.Host.Runtime.RunRequestAsync("file0", async node =>
        {
            await node.WriteAsync(0, new byte[] { 9 }, fua: true);
            return node.Length;
        });

        Assert.Equal(1 << 20, written);
        Assert.Equal("file0", fixture.Host.Runtime.FindExportByName("disk0")?.Node);
        var status = await fixture.Host.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
        // The IoThreads report to the host's aggregator, which is one context toward the Coordinator.
        Assert.Equal([$"host:{fixture.Host.Runtime.Host}"], status.Contexts.Select(c => c.Context));
        var graph = await fixture.Host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal("io1", graph.Find("file0")!.IoThread);
    }

    /// <summary>
    /// A start whose journal has nodes it cannot reopen (an image path the new images dir
    /// refuses, a missing IoThread) does not fail: those nodes come back unavailable, with the
    /// reason, the rest of the graph serves, and deleting them clears the journal for good.
    /// </summary>
    [Fact]
    public async Task Nodes_that_cannot_be_reopened_come_back_unavailable_and_blockdev_del_removes_them()
    {
        var dataDir = Directory.CreateTempSubdirectory("host-tests-").FullName;
        try
        {
            var options = new StorageHostOptions(dataDir, Path.Combine(dataDir, "images"), ["io0", "io1"]);
            await using (var first = await HostFixture.StartHostAsync(dataDir, options))
            {
                first.Disk.Create("a.raw", 1 << 20);
                await first.Graph.Ask<WriteCompleted>(new AddNode("a", "file", Options("filename", "a.raw"), first.Runtime.Host, "io0", Options()), Timeout);
                await first.Graph.Ask<WriteCompleted>(new AddNode("n1", "null-co", Options(), first.Runtime.Host, "io1", Options()), Timeout);
                await first.Graph.Ask<WriteCompleted>(new AddNode("keep", "null-co", Options(), first.Runtime.Host, "io0", Options()), Timeout);
            }

            // Elsewhere for images, and without io1: neither a nor n1 can be reopened.
            var moved = options with { ImagesDir = Path.Combine(dataDir, "other"), IoThreads = ["io0"] };
            await using (var second = await HostFixture.StartHostAsync(dataDir, moved))
            {
                var graph = await second.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
                Assert.Contains("a.raw", graph.Find("a")!.Unavailable);
                Assert.Equal($"IoThread 'io1' does not exist on host '{second.Runtime.Host}'", graph.Find("n1")!.Unavailable);
                Assert.Null(graph.Find("keep")!.Unavailable);
                Assert.Equal(0, await second.Runtime.RunRequestAsync("keep", node => ValueTask.FromResult(node.Length > 0 ? 0 : 1)));

                await second.Graph.Ask<WriteCompleted>(new DeleteNode("a"), Timeout);
                await second.Graph.Ask<WriteCompleted>(new DeleteNode("n1"), Timeout);
                graph = await second.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
                Assert.Equal(["keep"], graph.Nodes.Select(n => n.Name));
            }

            await using var third = await HostFixture.StartHostAsync(dataDir, moved);
            var last = await third.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
            Assert.Equal(["keep"], last.Nodes.Select(n => n.Name));
            Assert.All(last.Nodes, n => Assert.Null(n.Unavailable));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static ImmutableSortedDictionary<string, string> Options(params string[] pairs) =>
        pairs.Chunk(2).Aggregate(ImmutableSortedDictionary<string, string>.Empty, (all, kv) => all.Add(kv[0], kv[1]));
}
