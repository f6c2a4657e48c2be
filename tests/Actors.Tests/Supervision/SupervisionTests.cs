using Actors.Core;
using Actors.Messages;
using Actors.Supervision;
using Xunit.Abstractions;

namespace Actors.Tests.Supervision;

/// <summary>One-for-one supervision: what each directive does to the failed child, its state and its mailbox.</summary>
public sealed class SupervisionTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void Restart_keeps_the_messages_queued_behind_the_failing_one()
    {
        var probe = CreateTestProbe();
        var gate = NewGate();
        var instances = 0;
        var worker = Sys.ActorOf(Props.Create(() => new Worker(probe.Ref, Interlocked.Increment(ref instances), gate.Task)));

        // "hold" parks the worker until the gate opens, so "fail", "a" and "b" are all queued
        // when "fail" throws: "a" and "b" are behind the failing message.
        worker.Tell("hold");
        worker.Tell("fail");
        worker.Tell("a");
        worker.Tell("b");
        gate.SetResult();

        probe.ExpectMsg("1:hold");
        probe.ExpectMsg("2:restarted");
        probe.ExpectMsg("2:a");
        probe.ExpectMsg("2:b");
    }

    [Fact]
    public void Restart_does_not_retry_the_failing_message()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var worker = Sys.ActorOf(Props.Create(() => new Worker(probe.Ref, Interlocked.Increment(ref instances), Task.CompletedTask)));

        worker.Tell("fail");
        worker.Tell("after");

        // Retried, "fail" would fail instance 2 too and "after" would reach instance 3.
        probe.ExpectMsg("2:restarted");
        probe.ExpectMsg("2:after");
        probe.ExpectNoMsg();
    }

    [Fact]
    public void Resume_keeps_the_actor_instance_and_its_state()
    {
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Resume)));
        var counter = ChildOf(supervisor, Props.Create(() => new Counter()));

        counter.Tell("increment");
        counter.Tell("increment");
        counter.Tell("fail");
        counter.Tell("increment");
        counter.Tell("count", TestActor);

        ExpectMsg(3);
    }

    [Fact]
    public void Restart_replaces_the_state_with_a_fresh_instance()
    {
        var counter = Sys.ActorOf(Props.Create(() => new Counter()));

        counter.Tell("increment");
        counter.Tell("increment");
        counter.Tell("fail");
        counter.Tell("increment");
        counter.Tell("count", TestActor);

        ExpectMsg(1);
    }

    [Fact]
    public void Stop_directive_stops_the_failed_child()
    {
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop)));
        var counter = ChildOf(supervisor, Props.Create(() => new Counter()));
        Watch(counter);

        counter.Tell("fail");

        ExpectTerminated(counter);
    }

    /// <summary>
    /// <code>
    /// grandparent (decides Stop, reports the cause)
    ///   └─ parent (escalates)
    ///        └─ child (fails)
    /// </code>
    /// </summary>
    [Fact]
    public void Escalate_lets_the_grandparent_decide_for_the_parent()
    {
        var decisions = CreateTestProbe();
        var grandparent = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(cause =>
        {
            decisions.Ref.Tell($"grandparent decides on {cause.Message}");
            return Directive.Stop;
        })));
        var parent = ChildOf(grandparent, Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Escalate)));
        var child = ChildOf(parent, Props.Create(() => new Counter()));
        Watch(parent);
        Watch(child);

        child.Tell("fail");

        decisions.ExpectMsg("grandparent decides on counter failed");
        var stopped = ReceiveN(2).Cast<Terminated>().Select(t => t.ActorRef).ToHashSet();
        Assert.Equal(new HashSet<IActorRef> { parent, child }, stopped);
    }

    /// <summary>
    /// <code>
    /// grandparent (decides Resume)
    ///   └─ parent (escalates)
    ///        └─ child (fails, must carry on with its state)
    /// </code>
    /// </summary>
    [Fact]
    public void When_the_grandparent_resumes_an_escalated_failure_the_failed_child_carries_on()
    {
        var grandparent = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Resume)));
        var parent = ChildOf(grandparent, Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Escalate)));
        var child = ChildOf(parent, Props.Create(() => new Counter()));

        child.Tell("increment");
        child.Tell("fail");
        child.Tell("increment");
        child.Tell("count", TestActor);

        ExpectMsg(2);
    }

    /// <summary>
    /// <code>
    /// grandparent (decides Restart)
    ///   └─ parent (escalates; its PreRestart keeps the children)
    ///        └─ child (fails, must restart with fresh state)
    /// </code>
    /// </summary>
    [Fact]
    public void When_the_grandparent_restarts_an_escalating_parent_a_failed_child_it_kept_is_restarted_too()
    {
        var grandparent = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Restart)));
        var parent = ChildOf(grandparent, Props.Create(() => new SupervisorKeepingChildren()).WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Escalate)));
        var child = ChildOf(parent, Props.Create(() => new Counter()));

        child.Tell("increment");
        child.Tell("fail");
        child.Tell("increment");
        child.Tell("count", TestActor);

        ExpectMsg(1);
    }

    [Fact]
    public void A_child_that_fails_more_often_than_maxNrOfRetries_is_stopped()
    {
        var probe = CreateTestProbe();
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor())
            .WithSupervisorStrategy(new OneForOneStrategy(2, Timeout.InfiniteTimeSpan, _ => Directive.Restart)));
        var instances = 0;
        var worker = ChildOf(supervisor, Props.Create(() => new Worker(probe.Ref, Interlocked.Increment(ref instances), Task.CompletedTask)));
        Watch(worker);

        worker.Tell("fail");
        worker.Tell("fail");
        worker.Tell("fail");

        probe.ExpectMsg("2:restarted");
        probe.ExpectMsg("3:restarted");
        ExpectTerminated(worker);
        probe.ExpectNoMsg();
    }

    [Fact]
    public void A_constructor_that_throws_reaches_the_supervisor_as_ActorInitializationException()
    {
        var decisions = CreateTestProbe();
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor()).WithSupervisorStrategy(new OneForOneStrategy(cause =>
        {
            decisions.Ref.Tell(cause);
            return SupervisorStrategy.DefaultDecider(cause);
        })));

        var broken = ChildOf(supervisor, Props.Create<Broken>());

        var failure = decisions.ExpectMsg<ActorInitializationException>();
        Assert.Contains(broken.Path.ToString(), failure.Message);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
    }

    [Fact]
    public void An_actor_whose_constructor_throws_is_stopped_by_the_default_strategy()
    {
        var broken = Sys.ActorOf(Props.Create<Broken>());
        Watch(broken);

        ExpectTerminated(broken);
    }

    [Fact]
    public void Kill_stops_the_actor_by_default()
    {
        var counter = Sys.ActorOf(Props.Create(() => new Counter()));
        Watch(counter);

        counter.Tell(Kill.Instance);

        ExpectTerminated(counter);
    }

    /// <summary>Has <paramref name="supervisor"/> create a child from <paramref name="props"/>.</summary>
    private IActorRef ChildOf(IActorRef supervisor, Props props)
    {
        Send(supervisor, props);
        return ExpectMsg<IActorRef>();
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a child from each <see cref="Props"/> it is sent and replies with it.</summary>
    private sealed class Supervisor : ReceiveActor
    {
        public Supervisor() => Receive<Props>(props => Sender.Tell(Context.ActorOf(props)));
    }

    private sealed class SupervisorKeepingChildren : ReceiveActor
    {
        public SupervisorKeepingChildren() => Receive<Props>(props => Sender.Tell(Context.ActorOf(props)));

        protected override void PreRestart(Exception reason, object? message) => PostStop();
    }

    /// <summary>Reports "instance:message" for each message; "fail" throws; "hold" waits for the gate.</summary>
    private sealed class Worker : ReceiveActor
    {
        private readonly IActorRef _probe;
        private readonly int _instance;

        public Worker(IActorRef probe, int instance, Task gate)
        {
            _probe = probe;
            _instance = instance;
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException($"worker {instance} failed"));
            ReceiveAsync<string>(m => m == "hold", async m =>
            {
                await gate;
                Report(m);
            });
            Receive<string>(Report);
        }

        protected override void PostRestart(Exception reason) => Report("restarted");

        private void Report(string what) => _probe.Tell($"{_instance}:{what}");
    }

    /// <summary>Counts "increment"s, replies to "count", throws on "fail".</summary>
    private sealed class Counter : ReceiveActor
    {
        private int _count;

        public Counter()
        {
            Receive<string>(m => m == "increment", _ => _count++);
            Receive<string>(m => m == "count", _ => Sender.Tell(_count));
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("counter failed"));
        }
    }

    private sealed class Broken : ReceiveActor
    {
        public Broken() => throw new InvalidOperationException("broken on purpose");
    }
}
