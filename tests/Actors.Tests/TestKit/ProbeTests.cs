using Actors.Core;
using Actors.Messages;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.TestKit;

/// <summary>Test probes: their own queues, watching, and replying to whoever wrote to them.</summary>
public sealed class ProbeTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void Each_probe_has_its_own_queue()
    {
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        first.Ref.Tell("for the first", Nobody.Instance);
        second.Ref.Tell("for the second", Nobody.Instance);

        second.ExpectMsg("for the second");
        first.ExpectMsg("for the first");
        first.ExpectNoMsg();
        ExpectNoMsg();
    }

    [Fact]
    public void A_probe_can_watch_an_actor_and_expect_its_Terminated()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create<Relay>());
        probe.Watch(actor);

        Sys.Stop(actor);

        Assert.Equal(actor, probe.ExpectTerminated(actor).ActorRef);
    }

    [Fact]
    public void ExpectTerminated_fails_for_the_Terminated_of_another_actor()
    {
        var stopped = Sys.ActorOf(Props.Create<Relay>(), "stopped");
        var expected = Sys.ActorOf(Props.Create<Relay>(), "expected");
        Watch(stopped);
        Sys.Stop(stopped);

        var failure = Assert.Throws<XunitException>(() => ExpectTerminated(expected));

        Assert.Contains($"(Terminated of {expected.Path})", failure.Message);
    }

    [Fact]
    public void Unwatch_stops_the_Terminated_from_arriving()
    {
        var actor = Sys.ActorOf(Props.Create<Relay>());
        Watch(actor);
        Unwatch(actor);

        Sys.Stop(actor);

        ExpectNoMsg();
    }

    [Fact]
    public void LastSender_is_the_sender_of_the_last_message_taken()
    {
        var probe = CreateTestProbe();
        var relay = Sys.ActorOf(Props.Create<Relay>());

        relay.Tell(new RelayTo(probe.Ref, "hello"), TestActor);

        probe.ExpectMsg("hello");
        Assert.Equal(relay, probe.LastSender);
    }

    [Fact]
    public void Reply_answers_the_sender_of_the_last_message_taken()
    {
        var probe = CreateTestProbe();
        var relay = Sys.ActorOf(Props.Create<Relay>());
        relay.Tell(new RelayTo(probe.Ref, "question"), TestActor);
        probe.ExpectMsg("question");

        // The relay passes what it receives (here, the reply) on to TestActor.
        probe.Reply("answer");

        ExpectMsg("answer");
    }

    [Fact]
    public void Forward_sends_on_behalf_of_the_last_sender()
    {
        var probe = CreateTestProbe();
        var echo = Sys.ActorOf(Props.Create<Echo>());
        probe.Ref.Tell("ping", TestActor);
        probe.ExpectMsg("ping");

        probe.Forward(echo, "ping");

        // The echo answers the original sender, not the probe.
        ExpectMsg("ping");
        probe.ExpectNoMsg();
    }

    private sealed record RelayTo(IActorRef Target, object Message);

    /// <summary>Sends <see cref="RelayTo.Message"/> as itself, and passes anything else on to whoever asked last.</summary>
    private sealed class Relay : ReceiveActor
    {
        private IActorRef _requester = Nobody.Instance;

        public Relay()
        {
            Receive<RelayTo>(relay =>
            {
                _requester = Sender;
                relay.Target.Tell(relay.Message);
            });
            Receive<Terminated>(_ => { });
            ReceiveAny(message => _requester.Tell(message));
        }
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }
}
