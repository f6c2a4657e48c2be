using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Dispatch;

/// <summary>Which threads run an actor: a dedicated one on the pinned dispatcher, the pool's otherwise.</summary>
public sealed class DispatcherTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_pinned_actor_runs_on_a_dedicated_thread_named_after_it()
    {
        var actor = Sys.ActorOf(Props.Create<ThreadReporter>().WithDispatcher(Props.PinnedDispatcher), "pinned-one");

        Send(actor, "which thread?");

        var thread = ExpectMsg<Thread>();
        Assert.Equal("pinned " + actor.Path, thread.Name);
        Assert.False(thread.IsThreadPoolThread);
        Assert.NotSame(Thread.CurrentThread, thread);
    }

    [Fact]
    public void Two_pinned_actors_run_on_two_different_threads()
    {
        var first = Sys.ActorOf(Props.Create<ThreadReporter>().WithDispatcher(Props.PinnedDispatcher));
        var second = Sys.ActorOf(Props.Create<ThreadReporter>().WithDispatcher(Props.PinnedDispatcher));

        Send(first, "which thread?");
        var firstThread = ExpectMsg<Thread>();
        Send(second, "which thread?");
        var secondThread = ExpectMsg<Thread>();

        Assert.NotSame(firstThread, secondThread);
    }

    [Fact]
    public void Stopping_a_pinned_actor_ends_its_thread()
    {
        var actor = Sys.ActorOf(Props.Create<ThreadReporter>().WithDispatcher(Props.PinnedDispatcher));
        Send(actor, "which thread?");
        var thread = ExpectMsg<Thread>();
        Watch(actor);

        Sys.Stop(actor);

        ExpectTerminated(actor);
        Assert.True(thread.Join(Dilated(TimeSpan.FromSeconds(10))), $"Thread '{thread.Name}' still runs after its actor stopped.");
    }

    [Fact]
    public void An_actor_on_the_default_dispatcher_runs_on_thread_pool_threads()
    {
        var actor = Sys.ActorOf(Props.Create<ThreadReporter>());

        Send(actor, "which thread?");

        Assert.True(ExpectMsg<Thread>().IsThreadPoolThread);
    }

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => Receive<string>(_ => Sender.Tell(Thread.CurrentThread));
    }
}
