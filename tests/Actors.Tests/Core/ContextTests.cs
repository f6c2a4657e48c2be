using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary>What an actor sees and does through its <see cref="IActorContext"/>: children, identity, behaviours, forwarding.</summary>
public sealed class ContextTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void ActorOf_creates_a_child_under_the_actors_own_path()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>(), "parent");

        var child = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "kid"));

        Assert.Equal(parent.Path / "kid", child.Path);
    }

    [Fact]
    public void Child_returns_the_child_with_that_name()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());
        var kid = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "kid"));

        Assert.Equal(kid, RunIn<IActorRef>(parent, context => context.Child("kid")));
    }

    [Fact]
    public void Child_returns_Nobody_for_a_name_no_child_has()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());

        Assert.Same(Nobody.Instance, RunIn<IActorRef>(parent, context => context.Child("nobody-here")));
    }

    [Fact]
    public void GetChildren_lists_every_child()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());
        var a = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "a"));
        var b = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "b"));

        var children = RunIn<IReadOnlyList<IActorRef>>(parent, context => context.GetChildren());

        Assert.Equal(new HashSet<IActorRef> { a, b }, children.ToHashSet());
    }

    [Fact]
    public void A_second_child_with_the_same_name_is_refused()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());
        RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "kid"));

        var refused = RunIn<InvalidOperationException>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "kid"));

        Assert.Contains("'kid' is not unique", refused.Message);
        Assert.Contains(parent.Path.ToString(), refused.Message);
    }

    [Fact]
    public void A_child_name_starting_with_a_dollar_is_refused()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());

        var refused = RunIn<ArgumentException>(parent, context => context.ActorOf(Props.Create<ContextHost>(), "$mine"));

        Assert.Contains("'$mine' must not start with '$'", refused.Message);
    }

    [Fact]
    public void A_child_created_without_a_name_gets_a_generated_name_starting_with_a_dollar()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());

        var first = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>()));
        var second = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>()));

        Assert.StartsWith("$", first.Path.Name);
        Assert.StartsWith("$", second.Path.Name);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Self_is_the_actors_own_reference()
    {
        var actor = Sys.ActorOf(Props.Create<ContextHost>());

        Assert.Equal(actor, RunIn<IActorRef>(actor, context => context.Self));
    }

    [Fact]
    public void Parent_is_the_actor_that_created_it()
    {
        var parent = Sys.ActorOf(Props.Create<ContextHost>());
        var child = RunIn<IActorRef>(parent, context => context.ActorOf(Props.Create<ContextHost>()));

        Assert.Equal(parent, RunIn<IActorRef>(child, context => context.Parent));
    }

    [Fact]
    public void Sender_is_the_reply_address_of_the_message_being_processed()
    {
        var actor = Sys.ActorOf(Props.Create<ContextHost>());

        Assert.Equal(TestActor, RunIn<IActorRef>(actor, context => context.Sender));
    }

    [Fact]
    public void Forward_keeps_the_original_sender()
    {
        var probe = CreateTestProbe();
        var forwarder = Sys.ActorOf(Props.Create(() => new Forwarder(probe.Ref)));

        Send(forwarder, "hello");

        probe.ExpectMsg("hello");
        Assert.Equal(TestActor, probe.LastSender);
    }

    [Fact]
    public void Stopping_itself_takes_effect_after_the_current_message()
    {
        var actor = Sys.ActorOf(Props.Create<ContextHost>());
        Watch(actor);

        Send(actor, new InContext(context =>
        {
            context.Stop(context.Self);
            return "finished the message";
        }));

        ExpectMsg("finished the message");
        ExpectTerminated(actor);
    }

    [Fact]
    public void Become_replaces_the_current_behaviour()
    {
        var actor = Sys.ActorOf(Props.Create<Mood>());

        Send(actor, "become happy");
        Send(actor, "mood?");

        ExpectMsg("happy");
    }

    [Fact]
    public void Become_does_not_stack_so_one_Unbecome_returns_to_the_initial_behaviour()
    {
        var actor = Sys.ActorOf(Props.Create<Mood>());

        Send(actor, "become happy");
        Send(actor, "become calm");
        Send(actor, "unbecome");
        Send(actor, "mood?");

        ExpectMsg("initial");
    }

    [Fact]
    public void Unbecome_after_BecomeStacked_returns_to_the_behaviour_below()
    {
        var actor = Sys.ActorOf(Props.Create<Mood>());

        Send(actor, "become happy");
        Send(actor, "push angry");
        Send(actor, "mood?");
        Send(actor, "unbecome");
        Send(actor, "mood?");

        ExpectMsg("angry");
        ExpectMsg("happy");
    }

    [Fact]
    public void Unbecome_never_removes_the_initial_behaviour()
    {
        var actor = Sys.ActorOf(Props.Create<Mood>());

        Send(actor, "unbecome");
        Send(actor, "mood?");

        ExpectMsg("initial");
    }

    /// <summary>Sends <paramref name="body"/> to run inside <paramref name="actor"/> and returns its reply.</summary>
    private T RunIn<T>(IActorRef actor, Func<IActorContext, object> body)
    {
        Send(actor, new InContext(body));
        return ExpectMsg<T>();
    }

    /// <summary>Run <paramref name="Body"/> with the receiving actor's context; the reply is its result or its exception.</summary>
    private sealed record InContext(Func<IActorContext, object> Body);

    private sealed class ContextHost : ReceiveActor
    {
        public ContextHost() => Receive<InContext>(run =>
        {
            object reply;
            try
            {
                reply = run.Body(Context);
            }
            catch (Exception refused)
            {
                reply = refused;
            }
            Sender.Tell(reply);
        });
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(target.Forward);
    }

    /// <summary>Answers "mood?" with the name of its current behaviour.</summary>
    private sealed class Mood : ReceiveActor
    {
        public Mood() => Behaviour("initial");

        private void Behaviour(string name)
        {
            Receive<string>(m => m == "mood?", _ => Sender.Tell(name));
            Receive<string>(m => m == "become happy", _ => Become(() => Behaviour("happy")));
            Receive<string>(m => m == "become calm", _ => Become(() => Behaviour("calm")));
            Receive<string>(m => m == "push angry", _ => BecomeStacked(() => Behaviour("angry")));
            Receive<string>(m => m == "unbecome", _ => Context.Unbecome());
        }
    }
}
