using Akka.Actor;
using Akka.Remote;
using Actors.Config;
using Host.Cluster;
using Host.Hosting;

namespace Host.Tests.Cluster;

/// <summary>A host that another member quarantined stops, rather than linger outside the cluster it can never join again.</summary>
public sealed class QuarantineWatchTests
{
    [Fact]
    public async Task A_host_another_member_quarantined_stops_and_says_who_did()
    {
        var system = AkkaHandover.CreateSystem(StorageHost.SystemName, ConfigFactory.Reference().Resolve(), loggerFactory: null);
        var watch = system.ActorOf(QuarantineWatch.Props(), QuarantineWatch.Name);
        // Answered only once the watch has started, and so subscribed to the event stream.
        await watch.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10));
        var member = Address.Parse("akka.tcp://actors@127.0.0.1:2551");

        system.EventStream.Publish(new ThisActorSystemQuarantinedEvent(Address.Parse("akka.tcp://actors@127.0.0.1:2553"), member));

        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(
            "host h3 was quarantined by akka.tcp://actors@127.0.0.1:2551: the cluster removed it while it did not answer, and only a restart can join again; stopping",
            StopReason.Describe("h3", CoordinatedShutdown.Get(system).ShutdownReason));
    }
}
