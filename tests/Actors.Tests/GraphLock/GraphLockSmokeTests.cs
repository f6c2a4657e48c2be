using Actors.Core;
using Actors.GraphLock;
using Actors.IoThreads;
using Xunit.Abstractions;

namespace Actors.Tests.GraphLock;

public sealed class GraphLockSmokeTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void A_writer_waits_for_a_reader_and_enters_after_it_unlocks()
    {
        var monitor = new GraphLockMonitor();
        var options = new GraphLockOptions(DebugAssertions: true, Monitor: monitor);
        var coordinator = Sys.ActorOf(Coordinator.Props(options), "coordinator");
        var loop = new EventLoop("io0", manual: true);
        IoThread.Start(Sys, "io0", coordinator, options, loop);
        AwaitCondition(() => { loop.RunUntilIdle(); return IoThread.Current is null && loop.Owner is IoThread io && !io.Readers.Equals(-1) && Registered(loop); });

        var lockTask = RunOnLoop(loop, () => ((IoThread)loop.Owner!).ReadLockAsync().AsTask());
        Assert.True(lockTask.IsCompletedSuccessfully);

        coordinator.Tell(new RequestWrite("test", _ => { TestActor.Tell("in write section"); return Task.CompletedTask; }), TestActor);
        AwaitCondition(() => { loop.RunUntilIdle(); return Status(coordinator).Contexts.Single().ReportedEpoch == 1; });
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        RunOnLoop(loop, () => { ((IoThread)loop.Owner!).ReadUnlock(); return Task.CompletedTask; });
        loop.RunUntilIdle();
        ExpectMsg("in write section");
        ExpectMsg<WriteCompleted>();
        Assert.Equal(0, monitor.Violations);
        loop.StartThread();
    }

    private bool Registered(EventLoop loop)
    {
        loop.RunUntilIdle();
        return Status((IActorRef)Sys.ResolveActorRef(ActorPath.Parse(Sys.Address + "/user/coordinator"))!).Contexts.Length == 1;
    }

    private GraphLockStatus Status(IActorRef coordinator) => coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, TimeSpan.FromSeconds(3)).Result;

    private static Task RunOnLoop(EventLoop loop, Func<Task> action)
    {
        Task? result = null;
        loop.Post(() => result = action());
        loop.RunOnce();
        return result!;
    }
}
