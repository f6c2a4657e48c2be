using Actors.Config;
using Actors.Core;
using Actors.Scheduling;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Actors.TestKit;

/// <summary>
/// Base class of actor tests on xunit: each test gets its own <see cref="ActorSystem"/>, stopped
/// when the test ends, a <see cref="TestKitBase.TestActor"/> to receive replies, and probes.
/// Pass <c>virtualClock: true</c> to run timers on a <see cref="VirtualClock"/> the test advances.
/// </summary>
public abstract class TestKit : TestKitBase, IDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    static TestKit()
    {
        // Test threads block while they wait for messages; keep enough pool threads for the actors.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);
    }

    /// <param name="config">HOCON layered over the reference config (e.g. <c>"actors.test.timefactor = 2"</c>).</param>
    /// <param name="output">xunit's output: the system's log goes there.</param>
    /// <param name="virtualClock">Run the scheduler and timers on <see cref="Clock"/> instead of real time.</param>
    protected TestKit(string? config = null, ITestOutputHelper? output = null, bool virtualClock = false)
        : this(Setup(config, output, virtualClock ? new VirtualClock() : null))
    {
    }

    private TestKit(ActorSystemSetup setup)
        : base(ActorSystem.Create("test", setup), new TestKitSettings(ConfigWithReference(setup.Config)), "testActor")
    {
        Clock = setup.Clock as VirtualClock;
    }

    /// <summary>The virtual clock, when the test asked for one.</summary>
    public VirtualClock? Clock { get; }

    /// <summary>Stops the system; fails when it does not stop in time (an actor stuck in PostStop).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && !Sys.Terminate().Wait(Dilated(ShutdownTimeout)))
        {
            throw new TimeoutException($"Actor system {Sys.Name} did not stop within {Dilated(ShutdownTimeout)}.");
        }
    }

    /// <summary>What tests run with unless they say otherwise: the lock discipline is checked.</summary>
    private const string TestDefaults = "actors.graph-lock.debug-assertions = on";

    private static ActorSystemSetup Setup(string? config, ITestOutputHelper? output, VirtualClock? clock) => new()
    {
        Config = ConfigFactory.FromEnvironment()
            .WithFallback(config is null ? Config.Config.Empty : ConfigFactory.ParseString(config, "test config"))
            .WithFallback(ConfigFactory.ParseString(TestDefaults, "TestKit defaults")),
        LoggerFactory = output is null ? null : LoggerFactory.Create(builder => builder.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Debug)),
        Clock = clock,
    };

    private static Config.Config ConfigWithReference(Config.Config? config) =>
        (config ?? Config.Config.Empty).WithFallback(ActorSystem.ReferenceConfig.Value).Resolve();
}
