using System.Collections.Immutable;
using Actors.GraphLock;
using Akka.Actor;
using Host.Hosting;
using Nodes.Commands;
using Nodes.Runtime;

namespace Host.Tests.Cluster;

/// <summary>
/// One block graph for the cluster (DESIGN §9): its owner is a singleton, every node lives on the
/// host that holds it, and any host's graph commands reach every node. Hosts are actor systems of
/// this process on loopback ports (<see cref="LoopbackCluster"/>).
/// </summary>
public sealed class ClusterGraphTests
{
    private static readonly TimeSpan Timeout = LoopbackCluster.WaitLimit;
    private static readonly ImmutableSortedDictionary<string, string> None = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>
    /// h3 adds a node on h2 and a filter above it: both open on h2 only; h1 sees them with their
    /// host, and deletes them; their close runs on h2 after the write section.
    /// <code>
    ///   h1: query, delete     h2: throttle0 ── null0     h3: blockdev-add x-host=h2
    /// </code>
    /// </summary>
    [Fact]
    public async Task A_node_added_from_one_host_opens_on_the_host_named_and_any_host_manages_it()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3);
        var (h1, h2, h3) = (cluster.Hosts[0], cluster.Hosts[1], cluster.Hosts[2]);

        await h3.Graph.Ask<WriteCompleted>(new AddNode("null0", "null-co", None, "h2", "", None), Timeout);
        await h3.Graph.Ask<WriteCompleted>(new InsertFilter("throttle0", "throttle", None.Add("limits.iops-total", "100000"), "null0"), Timeout);

        Assert.NotNull(h2.Runtime.Find("null0"));
        Assert.NotNull(h2.Runtime.Find("throttle0"));
        Assert.Null(h1.Runtime.Find("null0"));
        Assert.Null(h3.Runtime.Find("null0"));
        Assert.Equal("io0", h2.Runtime.IoThreadOf("null0")!.Name);
        var graph = await h1.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal([("null0", "h2"), ("throttle0", "h2")], graph.Nodes.Select(n => (n.Name, n.Host)));

        await h1.Graph.Ask<WriteCompleted>(new RemoveFilter("throttle0"), Timeout);
        await h1.Graph.Ask<WriteCompleted>(new DeleteNode("null0"), Timeout);
        await cluster.WaitAsync(() => h2.Runtime.Find("null0") is null && h2.Runtime.Find("throttle0") is null, "both nodes closed on h2");
        graph = await h3.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Empty(graph.Nodes);
        var status = await h3.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
        Assert.Equal(2, status.DeferredActionsRun);
    }

    /// <summary>A node cannot be added on a host that is not a member: the refusal names it.</summary>
    [Fact]
    public async Task A_node_on_a_host_that_is_not_up_is_refused()
    {
        await using var cluster = await LoopbackCluster.StartAsync(2);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Hosts[1].Graph.Ask<WriteCompleted>(new AddNode("n9", "null-co", None, "h9", "io0", None), Timeout));

        Assert.Contains("Host 'h9' is not up", refused.Message);
    }

    /// <summary>
    /// The owner's host (the oldest) leaves cleanly: the owner starts on the next oldest, recovers
    /// the graph from the shared journal, finds every host's nodes open as the graph has them (it
    /// reopens none: their I/O goes on), and takes commands.
    /// </summary>
    [Fact]
    public async Task When_the_owners_host_leaves_the_graph_is_recovered_on_the_next_and_its_nodes_serve()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3);
        var (h1, h2, h3) = (cluster.Hosts[0], cluster.Hosts[1], cluster.Hosts[2]);
        await h2.Graph.Ask<WriteCompleted>(new AddNode("n2", "null-co", None, "h2", "", None), Timeout);
        await h2.Graph.Ask<WriteCompleted>(new AddNode("n3", "null-co", None, "h3", "", None), Timeout);

        var n2 = h2.Runtime.Find("n2");

        await cluster.StopHostAsync(h1);

        await h3.Graph.Ask<WriteCompleted>(new AddNode("n3b", "null-co", None, "h3", "", None), Timeout);
        var graph = await h2.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal(["n2", "n3", "n3b"], graph.Nodes.Select(n => n.Name));
        Assert.All(graph.Nodes, n => Assert.Null(n.Unavailable));
        Assert.Same(n2, h2.Runtime.Find("n2"));
        Assert.Equal(7, await h2.Runtime.RunRequestAsync("n2", _ => ValueTask.FromResult(7)));
        Assert.Equal(8, await h3.Runtime.RunRequestAsync("n3", _ => ValueTask.FromResult(8)));
    }

    /// <summary>
    /// A graph larger than Akka's default frame (128000 bytes, about 850 nodes) still crosses
    /// hosts: another host reads it whole (query-named-block-nodes), and after the owner's host
    /// leaves, the new owner sends every host the whole graph (OpenHost) and goes on.
    /// </summary>
    [Fact]
    public async Task A_graph_of_a_thousand_nodes_crosses_hosts_in_queries_and_a_hand_over()
    {
        const int count = 1200;
        await using var cluster = await LoopbackCluster.StartAsync(3);
        var (h1, h2, h3) = (cluster.Hosts[0], cluster.Hosts[1], cluster.Hosts[2]);
        var names = Enumerable.Range(0, count).Select(i => $"node-on-the-second-host-{i:D5}").ToArray();

        // Asked all at once: the owner queues them, so the writes follow each other with no round trip between.
        await Task.WhenAll(names.Select(name => h1.Graph.Ask<WriteCompleted>(new AddNode(name, "null-co", None, "h2", "", None), Timeout)));

        var graph = await h3.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal(names, graph.Nodes.Select(n => n.Name));
        await cluster.StopHostAsync(h1);
        await h3.Graph.Ask<WriteCompleted>(new AddNode("after-hand-over", "null-co", None, "h3", "", None), Timeout);
        graph = await h3.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, Timeout);
        Assert.Equal(count + 1, graph.Nodes.Length);
        Assert.All(graph.Nodes, n => Assert.Null(n.Unavailable));
        Assert.All(names, name => Assert.NotNull(h2.Runtime.Find(name)));
    }
}
