using System.Security.Cryptography;
using Actors.GraphLock;
using Akka.Actor;
using Host.Hosting;
using Nodes.Runtime;

namespace Host.Tests.Hosting;

/// <summary>
/// A data dir written before the move to Akka.NET (its SQLite <c>journal.db</c>, made by that
/// code: tests/Nodes.Tests/Assets/legacy-data): the first start imports the graph into
/// Akka.Persistence.Sql, once, and finishes the unref it left pending, once; the old file is kept.
/// </summary>
public sealed class LegacyImportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Assets", "legacy-data", "journal.db");

    [Fact]
    public async Task The_graph_of_the_earlier_journal_comes_back_once_and_its_pending_unref_runs_once()
    {
        var dataDir = Directory.CreateTempSubdirectory("host-tests-").FullName;
        try
        {
            var legacy = Path.Combine(dataDir, "journal.db");
            File.Copy(Fixture, legacy);
            var hash = SHA256.HashData(File.ReadAllBytes(legacy));
            var imagesDir = Path.Combine(dataDir, "images");
            var options = new StorageHostOptions(dataDir, imagesDir, ["iothread0", "iothread1"]);
            Directory.CreateDirectory(imagesDir);
            File.WriteAllBytes(Path.Combine(imagesDir, "disk0.img"), new byte[2 << 20]);
            File.WriteAllBytes(Path.Combine(imagesDir, "scratch.img"), new byte[1 << 20]);

            await using (var first = await HostFixture.StartHostAsync(dataDir, options, "actors.host = host1"))
            {
                var graph = await first.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
                Assert.Equal(["cor0", "file0", "file1", "raw0", "thr0"], graph.Nodes.Select(n => n.Name));
                Assert.All(graph.Nodes, n => Assert.Null(n.Unavailable));
                Assert.Equal("cor0", Assert.Single(graph.Exports).Node);
                Assert.Empty(graph.PendingUnrefs);
                Assert.Equal("iothread1", graph.Find("file0")!.IoThread);
                Assert.Equal(1, (await first.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout)).DeferredActionsRun);
                Assert.Equal(1 << 20, await first.Runtime.RunExportRequestAsync("e0", node => ValueTask.FromResult(node.Length)));
            }

            await using (var second = await HostFixture.StartHostAsync(dataDir, options, "actors.host = host1"))
            {
                var graph = await second.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
                Assert.Equal(["cor0", "file0", "file1", "raw0", "thr0"], graph.Nodes.Select(n => n.Name));
                Assert.Equal(0, (await second.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout)).DeferredActionsRun);
            }
            Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(legacy)));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
