using Actors.IoThreads;
using Akka.Actor;
using Nodes.Tests.Scenarios;
using Xunit.Abstractions;

namespace Nodes.Tests.Samples;

public sealed class ReadCounterTests(ITestOutputHelper output) : NodesTestKit(output)
{
    [Fact]
    public async Task An_actor_on_a_nodes_IoThread_loop_reads_the_node_on_that_thread()
    {
        var h = new NodeHarness(this);
        await h.Add("null0", "null-co");
        await h.Add("cnt0", "counter", children: ("file", "null0"));
        await h.Read("cnt0", 0, new byte[512]);
        await h.Read("cnt0", 0, new byte[512]);

        var io = h.Runtime.IoThreadOf("cnt0")!;
        var counter = Sys.ActorOf(Props.Create(() => new ReadCounter(h.Runtime, "cnt0"))
            .WithDispatcher(EventLoopDispatcherConfigurator.Register(Sys, io.Loop)));
        var reads = await counter.Ask<long>("reads", TimeSpan.FromSeconds(10));

        Assert.Equal(2, reads);
    }
}
