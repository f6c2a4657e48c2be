using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Tests.IoThreads;

/// <summary>Stopping an IoThread by name, as QMP <c>object-del</c> does, and reusing the name.</summary>
public sealed class IoThreadStopTests : TestKit
{
    private TimeSpan Timeout => Dilated(TimeSpan.FromSeconds(10));

    /// <summary>
    /// A watcher of the IoThread may hear of its end before its parent frees the name;
    /// <see cref="IoThread.StopAsync"/> completes only after that, so a new IoThread can take the name
    /// at once. Repeated, because the race it closes is a matter of scheduling.
    /// </summary>
    [Fact]
    public async Task A_stopped_IoThread_leaves_the_coordinator_and_its_name_is_free_at_once()
    {
        var options = new GraphLockOptions();
        var coordinator = Sys.ActorOf(Coordinator.Props(options), "coordinator");
        for (var round = 0; round < 25; round++)
        {
            await IoThread.StartAsync(Sys, "io1", coordinator, options);
            await IoThread.StopAsync(Sys, "io1", Timeout);
        }
        await IoThread.StartAsync(Sys, "io1", coordinator, options);

        var status = await coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, Timeout);
        Assert.Equal(["io1"], status.Contexts.Select(c => c.Context));
        Assert.Equal(0, status.Orphaned);
    }

    [Fact]
    public async Task Stopping_an_IoThread_that_does_not_exist_fails_and_names_it()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => IoThread.StopAsync(Sys, "io9", Timeout));

        Assert.Contains("IoThread 'io9' does not exist", error.Message);
    }

    [Fact]
    public async Task Starting_an_IoThread_under_a_name_in_use_fails_and_names_it()
    {
        var options = new GraphLockOptions();
        var coordinator = Sys.ActorOf(Coordinator.Props(options), "coordinator");
        await IoThread.StartAsync(Sys, "io1", coordinator, options);
        using var loop = new EventLoop("io1-again");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => IoThread.SpawnAsync(Sys, "io1", coordinator, options, loop));

        Assert.Contains("IoThread 'io1' already exists", error.Message);
    }
}
