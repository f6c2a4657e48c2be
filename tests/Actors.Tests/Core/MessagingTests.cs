using Actors.Core;
using Actors.Messages;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

public sealed class MessagingTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    [Fact]
    public void Tell_delivers_to_the_actor_and_the_reply_reaches_the_sender()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>(), "echo");
        echo.Tell("hello", TestActor);
        Assert.Equal("hello", ExpectMsg<string>());
        Assert.Equal(echo, LastSender);
    }

    [Fact]
    public async Task Ask_returns_the_first_reply()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        Assert.Equal(42, await echo.Ask<int>(42, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Messages_from_one_sender_arrive_in_the_order_sent()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        for (var i = 0; i < 1000; i++)
        {
            echo.Tell(i, TestActor);
        }
        var received = ReceiveN(1000);
        Assert.Equal(Enumerable.Range(0, 1000).Cast<object>(), received);
    }

    [Fact]
    public void Stopping_an_actor_delivers_Terminated_to_its_watchers()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        Watch(echo);
        Sys.Stop(echo);
        ExpectTerminated(echo);
        echo.Tell("late", TestActor);
        ExpectNoMsg();
    }

    [Fact]
    public void A_pinned_actor_runs_every_message_on_the_same_dedicated_thread()
    {
        var actor = Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher(Props.PinnedDispatcher));
        for (var i = 0; i < 20; i++)
        {
            actor.Tell("which thread", TestActor);
        }
        var threads = ReceiveN(20).Cast<int>().Distinct().ToList();
        Assert.Single(threads);
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
    }

    private sealed class ThreadReporter : ReceiveActor
    {
        public ThreadReporter() => Receive<string>(_ => Sender.Tell(Environment.CurrentManagedThreadId));
    }
}
