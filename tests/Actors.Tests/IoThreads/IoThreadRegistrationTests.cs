using Actors.GraphLock;
using Actors.IoThreads;
using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Actors.Tests.IoThreads;

/// <summary>The README's sample TestKit test: a probe stands in for the Coordinator.</summary>
public sealed class IoThreadRegistrationTests(ITestOutputHelper output) : TestKit(output: output)
{
    [Fact]
    public async Task An_IoThread_registers_with_its_registry()
    {
        var registry = CreateTestProbe();
        // The IoThread stops its loop when it stops (with the test's actor system).
        await IoThread.SpawnAsync(Sys, "io0", registry, new GraphLockOptions(), new EventLoop("io0"));
        Assert.Equal("io0", registry.ExpectMsg<RegisterContext>().Context);
    }
}
