using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary><c>ReceiveAsync</c>: an awaiting handler holds the mailbox, and its continuations run as the actor.</summary>
public sealed class AsyncHandlerTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_message_sent_while_an_async_handler_awaits_runs_after_the_handler_completes()
    {
        var probe = CreateTestProbe();
        var gate = NewGate();
        var actor = Sys.ActorOf(Props.Create(() => new GatedActor(probe.Ref, gate.Task)));
        actor.Tell("slow");
        probe.ExpectMsg("slow: before await");

        actor.Tell("quick");
        probe.ExpectNoMsg();
        gate.SetResult();

        probe.ExpectMsg("slow: after await");
        probe.ExpectMsg("quick");
    }

    [Fact]
    public void Code_after_an_await_runs_in_the_actor_context_with_Self_and_Sender_intact()
    {
        var probe = CreateTestProbe();
        var gate = NewGate();
        var actor = Sys.ActorOf(Props.Create(() => new GatedActor(probe.Ref, gate.Task)));
        Send(actor, "who am I");

        gate.SetResult();

        var seen = probe.ExpectMsg<SeenAfterAwait>();
        Assert.Equal(actor, seen.Self);
        Assert.Equal(TestActor, seen.Sender);
    }

    [Fact]
    public void An_actor_awaiting_in_an_async_handler_can_still_be_stopped()
    {
        var probe = CreateTestProbe();
        var gate = NewGate();
        var actor = Sys.ActorOf(Props.Create(() => new GatedActor(probe.Ref, gate.Task)));
        Watch(actor);
        actor.Tell("slow");
        probe.ExpectMsg("slow: before await");

        Sys.Stop(actor);

        ExpectTerminated(actor);
        gate.SetResult();
        probe.ExpectNoMsg();
    }

    [Fact]
    public void An_async_handler_that_throws_after_an_await_is_supervised()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new FailingAsync(probe.Ref)));

        actor.Tell("fail after await");

        probe.ExpectMsg("restarted because: failed after await");
    }

    [Fact]
    public void An_async_handler_that_throws_before_its_first_await_is_supervised()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new FailingAsync(probe.Ref)));

        actor.Tell("fail at once");

        probe.ExpectMsg("restarted because: failed at once");
    }

    [Fact]
    public void Messages_behind_a_failed_async_handler_are_processed_by_the_fresh_instance()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new FailingAsync(probe.Ref)));

        actor.Tell("fail after await");
        actor.Tell("next");

        probe.ExpectMsg("restarted because: failed after await");
        probe.ExpectMsg("next");
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record SeenAfterAwait(IActorRef Self, IActorRef Sender);

    /// <summary>"slow" and "who am I" await the gate; anything else is reported at once.</summary>
    private sealed class GatedActor : ReceiveActor
    {
        public GatedActor(IActorRef probe, Task gate)
        {
            ReceiveAsync<string>(m => m == "slow", async _ =>
            {
                probe.Tell("slow: before await");
                await gate;
                probe.Tell("slow: after await");
            });
            ReceiveAsync<string>(m => m == "who am I", async _ =>
            {
                await gate;
                probe.Tell(new SeenAfterAwait(Context.Self, Context.Sender));
            });
            Receive<string>(probe.Tell);
        }
    }

    private sealed class FailingAsync : ReceiveActor
    {
        private readonly IActorRef _probe;

        public FailingAsync(IActorRef probe)
        {
            _probe = probe;
            ReceiveAsync<string>(m => m == "fail after await", async _ =>
            {
                await Task.Yield();
                throw new InvalidOperationException("failed after await");
            });
#pragma warning disable CS1998 // The point of this handler is an async method that throws before any await.
            ReceiveAsync<string>(m => m == "fail at once", async _ => throw new InvalidOperationException("failed at once"));
#pragma warning restore CS1998
            Receive<string>(probe.Tell);
        }

        protected override void PostRestart(Exception reason) => _probe.Tell($"restarted because: {reason.Message}");
    }
}
