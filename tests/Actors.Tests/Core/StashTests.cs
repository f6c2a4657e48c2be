using Actors.Core;
using Actors.Messages;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary>The stash: order on unstash, priority over newer mail, and what happens to it on restart and stop.</summary>
public sealed class StashTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void UnstashAll_returns_the_stashed_messages_in_the_order_they_were_stashed()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(probe.Ref)));

        actor.Tell("a");
        actor.Tell("b");
        actor.Tell("c");
        actor.Tell("open");

        Assert.Equal<object>(["a", "b", "c"], probe.ReceiveN(3));
    }

    [Fact]
    public void Unstash_returns_only_the_oldest_stashed_message()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(probe.Ref)));

        actor.Tell("a");
        actor.Tell("b");
        actor.Tell("c");
        actor.Tell("let one through");
        Send(actor, "how many stashed?");

        probe.ExpectMsg("a");
        ExpectMsg(2);
        probe.ExpectNoMsg();
    }

    [Fact]
    public void Unstashed_messages_run_before_messages_that_arrived_meanwhile()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(probe.Ref)));

        actor.Tell("a");
        actor.Tell("b");
        // The actor sends itself "newer" before it unstashes: "newer" is already queued then.
        actor.Tell("open after sending myself newer");

        Assert.Equal<object>(["a", "b", "newer"], probe.ReceiveN(3));
    }

    [Fact]
    public void A_restart_hands_the_stashed_messages_to_the_fresh_instance_first()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(probe.Ref)));

        actor.Tell("a");
        actor.Tell("b");
        actor.Tell("fail");
        actor.Tell("c");

        // The fresh instance starts open (see Gatekeeper.PostRestart).
        Assert.Equal<object>(["a", "b", "c"], probe.ReceiveN(3));
    }

    [Fact]
    public void Stashed_messages_become_dead_letters_when_the_actor_stops()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(TestActor)));
        actor.Tell("a");
        actor.Tell("b");
        Send(actor, "how many stashed?");
        ExpectMsg(2);

        actor.Tell(PoisonPill.Instance);

        var first = deadLetters.ExpectMsg<DeadLetter>();
        var second = deadLetters.ExpectMsg<DeadLetter>();
        Assert.Equal(("a", actor), (first.Message, first.Recipient));
        Assert.Equal(("b", actor), (second.Message, second.Recipient));
    }

    [Fact]
    public void The_same_message_object_delivered_twice_can_be_stashed_twice()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(probe.Ref)));

        actor.Tell(Tick.Instance);
        actor.Tell(Tick.Instance);
        actor.Tell("open");

        Assert.Equal<object>([Tick.Instance, Tick.Instance], probe.ReceiveN(2));
    }

    [Fact]
    public void Stashing_the_message_being_processed_twice_is_refused()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Gatekeeper(TestActor)));

        Send(actor, "stash me twice");

        Assert.Contains("stashed the same message twice", ExpectMsg<InvalidOperationException>().Message);
    }

    /// <summary>A payload-less message sent as a singleton, as the style asks.</summary>
    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>
    /// Closed: stashes what it is sent, except its commands. Open: reports every message to the probe.
    /// A restarted instance starts open.
    /// </summary>
    private sealed class Gatekeeper : ReceiveActor, IWithStash
    {
        private readonly IActorRef _probe;

        public Gatekeeper(IActorRef probe)
        {
            _probe = probe;
            Receive<string>(m => m == "open", _ =>
            {
                Stash.UnstashAll();
                Become(Open);
            });
            Receive<string>(m => m == "open after sending myself newer", _ =>
            {
                Self.Tell("newer");
                Stash.UnstashAll();
                Become(Open);
            });
            Receive<string>(m => m == "let one through", _ =>
            {
                Stash.Unstash();
                BecomeStacked(OpenForOne);
            });
            Receive<string>(m => m == "how many stashed?", _ => Sender.Tell(Stash.Count));
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("gatekeeper failed"));
            Receive<string>(m => m == "stash me twice", _ =>
            {
                Stash.Stash();
                try
                {
                    Stash.Stash();
                }
                catch (InvalidOperationException refused)
                {
                    Sender.Tell(refused);
                }
            });
            ReceiveAny(_ => Stash.Stash());
        }

        public IStash Stash { get; set; } = null!;

        protected override void PostRestart(Exception reason) => Become(Open);

        private void Open() => ReceiveAny(_probe.Tell);

        private void OpenForOne() => ReceiveAny(message =>
        {
            _probe.Tell(message);
            Context.Unbecome();
        });
    }
}
