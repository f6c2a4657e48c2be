using Actors.Core;
using Actors.Messages;
using Actors.Supervision;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary>Watching actors: who learns of a stop, when, and what an unhandled Terminated does.</summary>
public sealed class DeathWatchTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_watcher_receives_Terminated_when_the_watched_actor_stops()
    {
        var probe = CreateTestProbe();
        var target = Sys.ActorOf(Props.Create<Idle>());
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)));
        watcher.Tell(target);
        probe.ExpectMsg("watching");

        Sys.Stop(target);

        var terminated = probe.ExpectMsg<Terminated>();
        Assert.Equal(target, terminated.ActorRef);
        Assert.True(terminated.ExistenceConfirmed);
    }

    [Fact]
    public void A_watcher_receives_Terminated_when_its_supervisor_stops_the_watched_actor_after_a_failure()
    {
        var probe = CreateTestProbe();
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop)));
        Send(supervisor, Props.Create<Idle>());
        var target = ExpectMsg<IActorRef>();
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)));
        watcher.Tell(target);
        probe.ExpectMsg("watching");

        target.Tell("fail");

        Assert.Equal(target, probe.ExpectMsg<Terminated>().ActorRef);
    }

    [Fact]
    public void Watching_an_actor_that_already_stopped_delivers_Terminated_without_confirmed_existence()
    {
        var probe = CreateTestProbe();
        var target = Sys.ActorOf(Props.Create<Idle>());
        Watch(target);
        Sys.Stop(target);
        ExpectTerminated(target);
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(probe.Ref)));

        watcher.Tell(target);

        probe.ExpectMsg("watching");
        var terminated = probe.ExpectMsg<Terminated>();
        Assert.Equal(target, terminated.ActorRef);
        Assert.False(terminated.ExistenceConfirmed);
    }

    /// <summary>
    /// The parent watches its child, then parks on "hold" (an async handler: user messages wait,
    /// system messages flow). While it is parked: "unwatch" and "report" are queued, the child
    /// stops, and its death notification queues Terminated behind them. Then "unwatch" runs
    /// before the queued Terminated, which must be dropped.
    /// </summary>
    [Fact]
    public void Unwatch_drops_a_Terminated_that_is_already_queued()
    {
        var probe = CreateTestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var parent = Sys.ActorOf(Props.Create(() => new UnwatchingParent(probe.Ref, gate.Task)));
        var child = probe.ExpectMsg<IActorRef>();
        parent.Tell("hold");
        parent.Tell("unwatch");
        parent.Tell("report");

        Sys.Stop(child);
        // The parent forgets the child in the same step that queues Terminated for it.
        AwaitCondition(() => Sys.ResolveActorRef(child.Path) is null, message: "the parent never processed the death of its child");
        gate.SetResult();

        probe.ExpectMsg("report");
        probe.ExpectNoMsg();
    }

    [Fact]
    public void An_unhandled_Terminated_stops_the_watcher_with_a_DeathPactException()
    {
        var decisions = CreateTestProbe();
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(cause =>
        {
            decisions.Ref.Tell(cause);
            return SupervisorStrategy.DefaultDecider(cause);
        })));
        Send(supervisor, Props.Create<WatcherWithoutTerminatedHandler>());
        var watcher = ExpectMsg<IActorRef>();
        var target = Sys.ActorOf(Props.Create<Idle>());
        Watch(watcher);
        Send(watcher, target);
        ExpectMsg("watching");

        Sys.Stop(target);

        Assert.Equal(target, decisions.ExpectMsg<DeathPactException>().DeadActor);
        ExpectTerminated(watcher);
    }

    [Fact]
    public void Children_stop_before_their_parent_runs_PostStop()
    {
        var probe = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new ParentOfTwo(probe.Ref)));
        probe.ExpectMsg("children created");

        Sys.Stop(parent);

        var stops = probe.ReceiveN(3);
        Assert.Equal("parent stopped", stops[2]);
        Assert.Equal(new HashSet<object> { "child a stopped", "child b stopped" }, stops.Take(2).ToHashSet());
    }

    [Fact]
    public void PoisonPill_stops_the_actor_after_the_messages_sent_before_it()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        Watch(echo);

        Send(echo, "a");
        Send(echo, "b");
        Send(echo, PoisonPill.Instance);

        ExpectMsg("a");
        ExpectMsg("b");
        ExpectTerminated(echo);
    }

    [Fact]
    public async Task GracefulStop_returns_true_once_the_actor_has_stopped()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new ReportsPostStop(probe.Ref)));

        Assert.True(await actor.GracefulStop(Dilated(TimeSpan.FromSeconds(10))));
        probe.ExpectMsg("stopped");
    }

    [Fact]
    public async Task GracefulStop_returns_false_when_the_actor_has_not_stopped_within_the_timeout()
    {
        var actor = Sys.ActorOf(Props.Create<Idle>());
        Watch(actor);

        // Idle ignores this message, so it never stops.
        Assert.False(await actor.GracefulStop(TimeSpan.FromMilliseconds(200), stopMessage: "please stop"));
        ExpectNoMsg();
    }

    /// <summary>Ignores everything except "fail", which throws.</summary>
    private sealed class Idle : ReceiveActor
    {
        public Idle() => Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("idle failed"));
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    private sealed class Supervisor : ReceiveActor
    {
        public Supervisor() => Receive<Props>(props => Sender.Tell(Context.ActorOf(props)));
    }

    /// <summary>Watches each actor it is sent and reports the Terminated it receives.</summary>
    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef probe)
        {
            Receive<IActorRef>(subject =>
            {
                Context.Watch(subject);
                probe.Tell("watching");
            });
            Receive<Terminated>(terminated => probe.Tell(terminated));
        }
    }

    private sealed class WatcherWithoutTerminatedHandler : ReceiveActor
    {
        public WatcherWithoutTerminatedHandler() => Receive<IActorRef>(subject =>
        {
            Context.Watch(subject);
            Sender.Tell("watching");
        });
    }

    private sealed class UnwatchingParent : ReceiveActor
    {
        public UnwatchingParent(IActorRef probe, Task gate)
        {
            var child = Context.Watch(Context.ActorOf(Props.Create<Idle>(), "child"));
            probe.Tell(child);
            ReceiveAsync<string>(m => m == "hold", _ => gate);
            Receive<string>(m => m == "unwatch", _ => Context.Unwatch(child));
            Receive<string>(m => m == "report", _ => probe.Tell("report"));
            Receive<Terminated>(terminated => probe.Tell(terminated));
        }
    }

    private sealed class ParentOfTwo : ReceiveActor
    {
        private readonly IActorRef _probe;

        public ParentOfTwo(IActorRef probe)
        {
            _probe = probe;
            Context.ActorOf(Props.Create(() => new ReportsPostStop(probe, "child a stopped")), "a");
            Context.ActorOf(Props.Create(() => new ReportsPostStop(probe, "child b stopped")), "b");
            probe.Tell("children created");
        }

        protected override void PostStop() => _probe.Tell("parent stopped");
    }

    private sealed class ReportsPostStop(IActorRef probe, string report = "stopped") : ReceiveActor
    {
        protected override void PostStop() => probe.Tell(report);
    }
}
