using Actors.Core;
using Actors.Scheduling;
using Xunit.Abstractions;

namespace Actors.Tests.Scheduling;

/// <summary>
/// An actor's keyed timers, on the TestKit's virtual clock: nothing fires until the test
/// advances the clock, so these tests never wait for real time to pass.
/// </summary>
public sealed class TimerTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output, virtualClock: true)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void A_single_timer_does_not_fire_before_its_delay()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "tick", Second));
        ExpectMsg("started");

        Clock!.Advance(Second - TimeSpan.FromMilliseconds(1));

        probe.ExpectNoMsg();
    }

    [Fact]
    public void A_single_timer_fires_once_when_its_delay_has_passed()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "tick", Second));
        ExpectMsg("started");

        Clock!.Advance(Second);
        probe.ExpectMsg("tick");
        Clock.Advance(TimeSpan.FromHours(1));

        probe.ExpectNoMsg();
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_interval()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartPeriodic("key", "tick", Second));
        ExpectMsg("started");

        Clock!.Advance(Second);
        probe.ExpectMsg("tick");
        Clock.Advance(Second);
        probe.ExpectMsg("tick");
        Clock.Advance(3 * Second);

        Assert.Equal<object>(["tick", "tick", "tick"], probe.ReceiveN(3));
        probe.ExpectNoMsg();
    }

    [Fact]
    public void Starting_a_timer_with_a_key_in_use_replaces_the_old_timer()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "old", 5 * Second));
        ExpectMsg("started");
        Send(actor, new StartSingle("key", "new", Second));
        ExpectMsg("started");

        Clock!.Advance(10 * Second);

        probe.ExpectMsg("new");
        probe.ExpectNoMsg();
    }

    [Fact]
    public void A_replaced_timer_whose_message_is_already_queued_is_not_delivered()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "old", Second));
        ExpectMsg("started");

        // Inside one handler: "old" falls due (queued behind this message), then "key" is restarted.
        Send(actor, new AdvanceThen(Second, timers => timers.StartSingleTimer("key", "new", Second)));
        ExpectMsg("done");
        Clock!.Advance(Second);

        probe.ExpectMsg("new");
        probe.ExpectNoMsg();
    }

    [Fact]
    public void Cancel_prevents_delivery_even_when_the_timer_is_already_due()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "tick", Second));
        ExpectMsg("started");

        // Inside one handler: "tick" falls due (queued behind this message), then is cancelled.
        Send(actor, new AdvanceThen(Second, timers => timers.Cancel("key")));
        ExpectMsg("done");
        actor.Tell("marker");

        // The tick was queued before the marker: had it been delivered, it would come first.
        probe.ExpectMsg("marker");
    }

    [Fact]
    public void Timers_are_cancelled_when_the_actor_stops()
    {
        var (actor, _) = StartTimerActor();
        Send(actor, new StartPeriodic("key", "tick", Second));
        ExpectMsg("started");
        Watch(actor);

        Sys.Stop(actor);

        ExpectTerminated(actor);
        Assert.Equal(0, Clock!.PendingTimers);
    }

    [Fact]
    public void Timers_are_cancelled_when_the_actor_restarts()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartPeriodic("key", "tick", Second));
        ExpectMsg("started");

        actor.Tell("fail");
        probe.ExpectMsg("restarted");
        Clock!.Advance(10 * Second);

        probe.ExpectNoMsg();
        Assert.Equal(0, Clock.PendingTimers);
    }

    [Fact]
    public void A_timer_message_queued_before_a_restart_is_not_delivered_to_the_fresh_instance()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "tick", Second));
        ExpectMsg("started");

        // Inside one handler: "tick" falls due (queued behind this message), then the actor fails.
        actor.Tell(new AdvanceThen(Second, _ => throw new InvalidOperationException("timer actor failed")));
        probe.ExpectMsg("restarted");
        actor.Tell("marker");

        probe.ExpectMsg("marker");
    }

    [Fact]
    public void IsTimerActive_is_true_until_a_single_timer_has_delivered_its_message()
    {
        var (actor, probe) = StartTimerActor();
        Send(actor, new StartSingle("key", "tick", Second));
        ExpectMsg("started");
        Send(actor, new IsActive("key"));
        ExpectMsg(true);

        Clock!.Advance(Second);
        probe.ExpectMsg("tick");
        Send(actor, new IsActive("key"));

        ExpectMsg(false);
    }

    [Fact]
    public void Timers_can_be_started_in_PreStart()
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(Props.Create(() => new StartsTimerInPreStart(probe.Ref)));
        probe.ExpectMsg("started");

        Clock!.Advance(Second);

        probe.ExpectMsg("tick");
    }

    private (IActorRef Actor, Actors.TestKit.TestProbe Probe) StartTimerActor()
    {
        var probe = CreateTestProbe();
        var clock = Clock!;
        return (Sys.ActorOf(Props.Create(() => new TimerActor(probe.Ref, clock))), probe);
    }

    private sealed record StartSingle(object Key, object Message, TimeSpan Delay);

    private sealed record StartPeriodic(object Key, object Message, TimeSpan Interval);

    private sealed record IsActive(object Key);

    /// <summary>Advance the virtual clock from inside the actor (due timers queue their messages), then run <paramref name="Then"/>.</summary>
    private sealed record AdvanceThen(TimeSpan By, Action<ITimerScheduler> Then);

    /// <summary>Starts timers on command; reports every other message, and its restarts, to the probe.</summary>
    private sealed class TimerActor : ReceiveActor, IWithTimers
    {
        private readonly IActorRef _probe;

        public TimerActor(IActorRef probe, VirtualClock clock)
        {
            _probe = probe;
            Receive<StartSingle>(start =>
            {
                Timers.StartSingleTimer(start.Key, start.Message, start.Delay);
                Sender.Tell("started");
            });
            Receive<StartPeriodic>(start =>
            {
                Timers.StartPeriodicTimer(start.Key, start.Message, start.Interval);
                Sender.Tell("started");
            });
            Receive<IsActive>(query => Sender.Tell(Timers.IsTimerActive(query.Key)));
            Receive<AdvanceThen>(command =>
            {
                clock.Advance(command.By);
                command.Then(Timers);
                Sender.Tell("done");
            });
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("timer actor failed"));
            ReceiveAny(probe.Tell);
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PostRestart(Exception reason) => _probe.Tell("restarted");
    }

    private sealed class StartsTimerInPreStart : ReceiveActor, IWithTimers
    {
        private readonly IActorRef _probe;

        public StartsTimerInPreStart(IActorRef probe)
        {
            _probe = probe;
            ReceiveAny(probe.Tell);
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            Timers.StartSingleTimer("key", "tick", Second);
            _probe.Tell("started");
        }
    }
}
