using Actors.Core;
using Actors.Messages;
using Xunit.Abstractions;

namespace Actors.Tests.Core;

/// <summary><c>Ask</c>: the first reply completes it; failures, silence and wrong types each throw their own exception.</summary>
public sealed class AskTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ask_returns_the_reply_whatever_its_type()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>());

        Assert.Equal("hello", await responder.Ask("hello", Dilated(Patience)));
    }

    [Fact]
    public async Task Ask_answered_with_Status_Failure_throws_its_cause()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>());

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => responder.Ask<string>("fail", Dilated(Patience)));

        Assert.Equal("the disk is full", failure.Message);
    }

    [Fact]
    public async Task Ask_without_a_reply_throws_AskTimeoutException_naming_the_target()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>(), "silent-one");

        var timeout = await Assert.ThrowsAsync<AskTimeoutException>(() => responder.Ask<string>("say nothing", TimeSpan.FromMilliseconds(200)));

        Assert.Contains(responder.Path.ToString(), timeout.Message);
    }

    [Fact]
    public async Task Ask_answered_with_another_type_throws_InvalidCastException()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>());

        var wrong = await Assert.ThrowsAsync<InvalidCastException>(() => responder.Ask<int>("hello", Dilated(Patience)));

        Assert.Contains("expected a Int32 reply but got String", wrong.Message);
    }

    [Fact]
    public async Task Ask_refuses_a_timeout_that_is_not_positive()
    {
        var responder = Sys.ActorOf(Props.Create<Responder>());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => responder.Ask("hello", TimeSpan.Zero));
    }

    /// <summary>Echoes, except: "fail" is answered with a failure and "say nothing" is not answered.</summary>
    private sealed class Responder : ReceiveActor
    {
        public Responder()
        {
            Receive<string>(m => m == "fail", _ => Sender.Tell(new Status.Failure(new InvalidOperationException("the disk is full"))));
            Receive<string>(m => m == "say nothing", _ => { });
            ReceiveAny(message => Sender.Tell(message));
        }
    }
}
