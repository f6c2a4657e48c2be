using System.Diagnostics;
using Actors.Core;
using Xunit.Abstractions;

namespace Actors.Tests.Dispatch;

/// <summary>
/// The mailbox must never lose a wake-up (see the remarks on <c>Mailbox</c>): a message enqueued
/// while the consumer is deciding to go idle must still be processed. Every actor here reports
/// on its own when it has seen everything, so a lost wake-up (messages queued, nobody scheduled)
/// shows up as a missing report, not as a slow test.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class MailboxStressTests : Actors.TestKit.TestKit
{
    // Generous: these only bound how long a lost wake-up takes to fail the test.
    private static readonly TimeSpan Stuck = TimeSpan.FromSeconds(30);
    private static readonly object One = 1;
    private readonly ITestOutputHelper _output;

    public MailboxStressTests(ITestOutputHelper output)
        : base(output: output)
    {
        _output = output;
    }

    [Theory]
    [InlineData(Props.DefaultDispatcher)]
    [InlineData(Props.PinnedDispatcher)]
    public void Many_producer_threads_sending_to_one_actor_lose_no_message(string dispatcher)
    {
        const int Producers = 8;
        const int PerProducer = 50_000;
        const int Rounds = 20;
        const long Total = (long)Producers * PerProducer;
        var elapsed = Stopwatch.StartNew();

        for (var round = 0; round < Rounds; round++)
        {
            var counter = Sys.ActorOf(Props.Create(() => new Counter(Total, TestActor)).WithDispatcher(dispatcher));
            using var start = new Barrier(Producers);
            var producers = Enumerable.Range(0, Producers).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerProducer; i++)
                {
                    counter.Tell(One, Nobody.Instance);
                }
            })).ToList();
            producers.ForEach(p => p.Start());

            ExpectMsg("reached the total", Dilated(Stuck));
            producers.ForEach(p => p.Join());
            Send(counter, "count?");
            ExpectMsg(Total);
            Sys.Stop(counter);
        }

        _output.WriteLine($"{Rounds} rounds of {Total} messages on '{dispatcher}' took {elapsed.ElapsedMilliseconds} ms.");
    }

    // A pinned hop is a thread wake-up (tens of microseconds here), a pool hop far less:
    // the counts keep each case to a couple of seconds on a small machine.
    [Theory]
    [InlineData(Props.DefaultDispatcher, 100_000)]
    [InlineData(Props.PinnedDispatcher, 10_000)]
    public void Actors_that_go_idle_between_every_message_never_miss_a_wake_up(string dispatcher, int exchanges)
    {
        const int Pairs = 4;
        var elapsed = Stopwatch.StartNew();

        for (var pair = 0; pair < Pairs; pair++)
        {
            var ponger = Sys.ActorOf(Props.Create<Ponger>().WithDispatcher(dispatcher));
            Sys.ActorOf(Props.Create(() => new Pinger(ponger, exchanges, TestActor)).WithDispatcher(dispatcher));
        }

        // Each exchange wakes an idle actor; a lost wake-up stops its pair for good.
        Assert.Equal(Enumerable.Repeat<object>("done", Pairs), ReceiveN(Pairs, Dilated(Stuck)));
        _output.WriteLine($"{Pairs} pairs x {exchanges} exchanges on '{dispatcher}' took {elapsed.ElapsedMilliseconds} ms.");
    }

    [Theory]
    [InlineData(Props.DefaultDispatcher)]
    [InlineData(Props.PinnedDispatcher)]
    public void An_actor_woken_from_outside_for_every_message_answers_every_one(string dispatcher)
    {
        const int Messages = 10_000;
        var ponger = Sys.ActorOf(Props.Create<Ponger>().WithDispatcher(dispatcher));
        var elapsed = Stopwatch.StartNew();

        for (var i = 0; i < Messages; i++)
        {
            Send(ponger, i);
            ExpectMsg(i, Dilated(Stuck));
        }

        _output.WriteLine($"{Messages} round trips from the test thread on '{dispatcher}' took {elapsed.ElapsedMilliseconds} ms.");
    }

    /// <summary>Counts the ints it receives and reports once when it reaches the total; answers "count?".</summary>
    private sealed class Counter(long total, IActorRef report) : ActorBase
    {
        private long _count;

        protected override bool Receive(object message)
        {
            switch (message)
            {
                case int:
                    if (++_count == total)
                    {
                        report.Tell("reached the total");
                    }
                    return true;
                case "count?":
                    Sender.Tell(_count);
                    return true;
                default:
                    return false;
            }
        }
    }

    private sealed class Ponger : ActorBase
    {
        protected override bool Receive(object message)
        {
            Sender.Tell(message);
            return true;
        }
    }

    /// <summary>Plays <paramref name="exchanges"/> rounds with <paramref name="ponger"/>, then reports "done".</summary>
    private sealed class Pinger(IActorRef ponger, int exchanges, IActorRef report) : ActorBase
    {
        protected override void PreStart() => ponger.Tell(exchanges, Self);

        protected override bool Receive(object message)
        {
            if (message is not int left)
            {
                return false;
            }
            if (left == 0)
            {
                report.Tell("done");
            }
            else
            {
                ponger.Tell(left - 1, Self);
            }
            return true;
        }
    }
}
