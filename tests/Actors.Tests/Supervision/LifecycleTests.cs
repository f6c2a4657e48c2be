using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Supervision;

/// <summary>Which lifecycle hooks run, on which instance, and in what order around a restart.</summary>
public sealed class LifecycleTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_new_actor_runs_its_constructor_then_PreStart()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        Sys.ActorOf(Props.Create(() => new HookRecorder(probe.Ref, Interlocked.Increment(ref instances))));

        Assert.Equal<object>(["1:constructor", "1:PreStart"], probe.ReceiveN(2));
    }

    [Fact]
    public void Restart_runs_PreRestart_and_PostStop_on_the_old_instance_then_PostRestart_and_PreStart_on_the_new_one()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var actor = Sys.ActorOf(Props.Create(() => new HookRecorder(probe.Ref, Interlocked.Increment(ref instances))));
        probe.ReceiveN(2);

        actor.Tell("fail");

        // The default PreRestart calls PostStop; the default PostRestart calls PreStart.
        Assert.Equal<object>(
            ["1:PreRestart(hook recorder failed, fail)", "1:PostStop", "2:constructor", "2:PostRestart(hook recorder failed)", "2:PreStart"],
            probe.ReceiveN(5));
    }

    [Fact]
    public void Stop_runs_PostStop_once_and_no_other_hook()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var actor = Sys.ActorOf(Props.Create(() => new HookRecorder(probe.Ref, Interlocked.Increment(ref instances))));
        probe.ReceiveN(2);
        Watch(actor);

        Sys.Stop(actor);

        ExpectTerminated(actor);
        probe.ExpectMsg("1:PostStop");
        probe.ExpectNoMsg();
    }

    /// <summary>
    /// <code>
    /// parent (fails, restarts)        parent #2
    ///   └─ child   ──stopped first──▶    └─ child (new)
    /// </code>
    /// </summary>
    [Fact]
    public void Restart_stops_the_children_before_the_fresh_instance_is_made()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var parent = Sys.ActorOf(Props.Create(() => new ParentWithChild(probe.Ref, Interlocked.Increment(ref instances))));
        probe.ExpectMsg("parent 1 created");

        parent.Tell("fail");

        probe.ExpectMsg("child of parent 1 stopped");
        probe.ExpectMsg("parent 2 created");
    }

    /// <summary>
    /// <code>
    /// parent (fails; its PreRestart keeps the children)   parent #2
    ///   └─ child  ─────────────── survives ─────────────▶    └─ child (same)
    /// </code>
    /// </summary>
    [Fact]
    public void A_PreRestart_that_keeps_the_children_lets_the_fresh_instance_adopt_them()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var parent = Sys.ActorOf(Props.Create(() => new ParentKeepingChildren(probe.Ref, Interlocked.Increment(ref instances))));
        var child = probe.ExpectMsg<IActorRef>();

        parent.Tell("fail");
        probe.ExpectMsg("parent 2 created");
        parent.Tell("children?");

        Assert.Equal([child], probe.ExpectMsg<IReadOnlyList<IActorRef>>());
    }

    [Fact]
    public void A_PreStart_that_throws_after_a_restart_stops_the_actor()
    {
        var probe = CreateTestProbe();
        var instances = 0;
        var actor = Sys.ActorOf(Props.Create(() => new PreStartFailsAfterRestart(probe.Ref, Interlocked.Increment(ref instances))));
        probe.ExpectMsg("1:PreStart");
        Watch(actor);

        actor.Tell("fail");

        // Like a failed first start, a failed restart is an ActorInitializationException: the default strategy stops.
        ExpectTerminated(actor);
        Assert.Equal(2, Volatile.Read(ref instances));
    }

    /// <summary>Reports every hook as "instance:hook"; "fail" throws.</summary>
    private sealed class HookRecorder : ReceiveActor
    {
        private readonly IActorRef _probe;
        private readonly int _instance;

        public HookRecorder(IActorRef probe, int instance)
        {
            _probe = probe;
            _instance = instance;
            Report("constructor");
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("hook recorder failed"));
        }

        protected override void PreStart() => Report("PreStart");

        protected override void PostStop() => Report("PostStop");

        protected override void PreRestart(Exception reason, object? message)
        {
            Report($"PreRestart({reason.Message}, {message})");
            base.PreRestart(reason, message);
        }

        protected override void PostRestart(Exception reason)
        {
            Report($"PostRestart({reason.Message})");
            base.PostRestart(reason);
        }

        private void Report(string hook) => _probe.Tell($"{_instance}:{hook}");
    }

    /// <summary>Creates a child named "child" in PreStart; "fail" throws.</summary>
    private sealed class ParentWithChild : ReceiveActor
    {
        private readonly IActorRef _probe;
        private readonly int _instance;

        public ParentWithChild(IActorRef probe, int instance)
        {
            _probe = probe;
            _instance = instance;
            probe.Tell($"parent {instance} created");
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("parent failed"));
        }

        protected override void PreStart()
        {
            var probe = _probe;
            var instance = _instance;
            Context.ActorOf(Props.Create(() => new ReportsPostStop(probe, $"child of parent {instance} stopped")), "child");
        }
    }

    /// <summary>Creates a child once; keeps its children across restarts; reports them on "children?".</summary>
    private sealed class ParentKeepingChildren : ReceiveActor
    {
        public ParentKeepingChildren(IActorRef probe, int instance)
        {
            if (instance == 1)
            {
                probe.Tell(Context.ActorOf(Props.Create(() => new ReportsPostStop(probe, "child stopped")), "child"));
            }
            else
            {
                probe.Tell($"parent {instance} created");
            }
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("parent failed"));
            Receive<string>(m => m == "children?", _ => probe.Tell(Context.GetChildren()));
        }

        // Akka's documented way to keep children over a restart: clean up, but do not stop them.
        protected override void PreRestart(Exception reason, object? message) => PostStop();
    }

    private sealed class PreStartFailsAfterRestart : ReceiveActor
    {
        private readonly IActorRef _probe;
        private readonly int _instance;

        public PreStartFailsAfterRestart(IActorRef probe, int instance)
        {
            _probe = probe;
            _instance = instance;
            Receive<string>(m => m == "fail", _ => throw new InvalidOperationException("failed on purpose"));
        }

        protected override void PreStart()
        {
            if (_instance > 1)
            {
                throw new InvalidOperationException($"instance {_instance} cannot start");
            }
            _probe.Tell($"{_instance}:PreStart");
        }
    }

    private sealed class ReportsPostStop(IActorRef probe, string report) : ReceiveActor
    {
        protected override void PostStop() => probe.Tell(report);
    }
}
