using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary>The actor system: the paths of its actors, finding them by path, and stopping everything.</summary>
public sealed class ActorSystemTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_top_level_actor_lives_under_user_at_the_systems_address()
    {
        var actor = Sys.ActorOf(Props.Create<Echo>(), "a");

        Assert.Equal($"actor://test@{Sys.Address.Host}/user/a", actor.Path.ToString());
    }

    [Fact]
    public void ResolveActorRef_finds_a_live_actor_by_its_path()
    {
        var parent = Sys.ActorOf(Props.Create<Echo>(), "parent");
        Send(parent, new CreateChild("child"));
        var child = ExpectMsg<IActorRef>();

        var resolved = Sys.ResolveActorRef(ActorPath.Parse(child.Path.ToString()));

        Assert.Equal(child, resolved);
        Send(resolved!, "still answers");
        ExpectMsg("still answers");
    }

    [Fact]
    public void ResolveActorRef_returns_null_for_a_path_where_no_actor_lives()
    {
        Sys.ActorOf(Props.Create<Echo>(), "parent");

        Assert.Null(Sys.ResolveActorRef(ActorPath.Root(Sys.Address) / "user" / "parent" / "nobody"));
        Assert.Null(Sys.ResolveActorRef(ActorPath.Root(Sys.Address) / "user" / "nobody"));
    }

    [Fact]
    public void ResolveActorRef_returns_null_for_a_path_in_another_system()
    {
        var actor = Sys.ActorOf(Props.Create<Echo>(), "a");
        var elsewhere = ActorPath.Root(new Address("other", Sys.Address.Host)) / "user" / "a";

        Assert.NotNull(Sys.ResolveActorRef(actor.Path));
        Assert.Null(Sys.ResolveActorRef(elsewhere));
    }

    [Fact]
    public async Task Terminate_runs_PostStop_of_every_actor_and_completes_WhenTerminated()
    {
        var probe = CreateTestProbe();
        var parent = Sys.ActorOf(Props.Create(() => new Echo(probe.Ref, "parent")), "parent");
        Sys.ActorOf(Props.Create(() => new Echo(probe.Ref, "sibling")), "sibling");
        Send(parent, new CreateChild("child"));
        ExpectMsg<IActorRef>();

        await Sys.Terminate();

        Assert.True(Sys.WhenTerminated.IsCompletedSuccessfully);
        var stopped = probe.ReceiveN(3);
        Assert.Equal(new HashSet<object> { "parent stopped", "sibling stopped", "child stopped" }, stopped.ToHashSet());
        // Children stop before their parent.
        Assert.True(stopped.ToList().IndexOf("child stopped") < stopped.ToList().IndexOf("parent stopped"));
    }

    [Fact]
    public async Task ActorOf_after_Terminate_is_refused()
    {
        await Sys.Terminate();

        Assert.Throws<InvalidOperationException>(() => Sys.ActorOf(Props.Create<Echo>()));
    }

    private sealed record CreateChild(string Name);

    /// <summary>Echoes strings and creates the children it is asked for; with a probe, reports its PostStop.</summary>
    private sealed class Echo : ReceiveActor
    {
        private readonly IActorRef? _probe;
        private readonly string _name;

        public Echo()
            : this(null, "")
        {
        }

        public Echo(IActorRef? probe, string name)
        {
            _probe = probe;
            _name = name;
            Receive<CreateChild>(create => Sender.Tell(Context.ActorOf(Props.Create(() => new Echo(probe, create.Name)), create.Name)));
            Receive<string>(message => Sender.Tell(message));
        }

        protected override void PostStop() => _probe?.Tell($"{_name} stopped");
    }
}
