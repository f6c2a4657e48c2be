using Actors.Core;
using Actors.Messages;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary>Undeliverable and unhandled messages are published on the event stream, naming who they were for.</summary>
public sealed class DeadLetterTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_message_to_a_stopped_actor_is_published_as_a_DeadLetter_naming_the_recipient()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var actor = Sys.ActorOf(Props.Create<OnlyStrings>());
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);

        Send(actor, "too late");

        Assert.Equal(new DeadLetter("too late", TestActor, actor), deadLetters.ExpectMsg<DeadLetter>());
    }

    [Fact]
    public void Messages_queued_behind_a_PoisonPill_become_dead_letters()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        var actor = Sys.ActorOf(Props.Create<OnlyStrings>());

        Send(actor, PoisonPill.Instance);
        Send(actor, "behind the pill");

        Assert.Equal(new DeadLetter("behind the pill", TestActor, actor), deadLetters.ExpectMsg<DeadLetter>());
    }

    [Fact]
    public void A_message_sent_to_DeadLetters_is_published_as_a_DeadLetter()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));

        Send(Sys.DeadLetters, "nowhere to go");

        Assert.Equal(new DeadLetter("nowhere to go", TestActor, Sys.DeadLetters), deadLetters.ExpectMsg<DeadLetter>());
    }

    [Fact]
    public void An_unhandled_message_is_published_as_UnhandledMessage_naming_sender_and_recipient()
    {
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        var actor = Sys.ActorOf(Props.Create<OnlyStrings>());

        Send(actor, 42);

        Assert.Equal(new UnhandledMessage(42, TestActor, actor), unhandled.ExpectMsg<UnhandledMessage>());
    }

    [Fact]
    public void An_unsubscribed_probe_receives_nothing_more()
    {
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe(deadLetters.Ref, typeof(DeadLetter));
        Sys.EventStream.Unsubscribe(deadLetters.Ref);

        Send(Sys.DeadLetters, "nowhere to go");

        deadLetters.ExpectNoMsg();
    }

    private sealed class OnlyStrings : ReceiveActor
    {
        public OnlyStrings() => Receive<string>(_ => { });
    }
}
