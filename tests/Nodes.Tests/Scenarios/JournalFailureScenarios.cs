using Akka.Persistence.TestKit;
using Akka.Actor;
using Nodes.Runtime;
using Xunit.Abstractions;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// The graph's journal fails to write (Akka.Persistence.TestKit's journal, told to fail): the
/// graph change fails with a clear error, the graph and its live nodes stay as they were, and
/// the host goes on serving and taking changes.
/// </summary>
public sealed class JournalFailureScenarios(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output)
{
    private const string Config = """
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    [Fact]
    public async Task A_change_the_journal_fails_to_write_is_refused_and_leaves_the_graph_as_it_was()
    {
        var h = new NodeHarness(this);
        await h.Add("keep", "null-co");
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

        await journal.OnWrite.Fail();
        var refused = await Assert.ThrowsAsync<GraphJournalException>(() => h.Add("lost", "null-co"));
        await journal.OnWrite.Pass();

        Assert.StartsWith("The journal refused the events of AddNode", refused.Message);
        Assert.EndsWith("nothing was changed", refused.Message);
        // The owner starts again, recovers and opens the host's nodes as the journal has them;
        // until then it says so instead of answering (and a message that reached it as it
        // stopped is lost, hence the short asks).
        await AwaitAssertAsync(async () =>
        {
            var graph = await h.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, TimeSpan.FromSeconds(1));
            Assert.Equal(["keep"], graph.Nodes.Select(n => n.Name));
            Assert.Null(h.Runtime.Find("lost"));
        }, NodeHarness.Timeout, NodeHarness.Poll);
        await h.Read("keep", 0, new byte[512]);
        await h.Add("later", "null-co");
        Assert.Equal(["keep", "later"], h.Snapshot().Nodes.Select(n => n.Name));
        Assert.Equal(0, h.Monitor.Violations);
    }
}
