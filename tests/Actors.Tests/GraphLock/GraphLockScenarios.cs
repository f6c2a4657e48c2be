using Actors.IoThreads;
using Akka.TestKit.Xunit2;
using Xunit.Abstractions;

namespace Actors.Tests.GraphLock;

/// <summary>
/// The graph lock's promises (DESIGN §4), one scenario each, on the <see cref="GraphLockHarness"/>.
/// Scenarios that depend on an interleaving run every party on manual loops and step them; the
/// load and stress scenarios run on threaded loops and only wait, bounded, for outcomes.
/// </summary>
public sealed partial class GraphLockScenarios : TestKit
{
    private readonly ITestOutputHelper _output;

    public GraphLockScenarios(ITestOutputHelper output)
        : base("akka.loglevel = INFO", output)
    {
        _output = output;
    }

    // ================================================================ helpers

    /// <summary>Runs <paramref name="action"/> on <paramref name="loop"/>'s thread (a manual loop is stepped once) and waits for it.</summary>
    private void OnLoop(GraphLockHarness h, EventLoop loop, Action action)
    {
        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        loop.Post(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
            done.Set();
        });
        if (h.IsManual(loop))
        {
            loop.RunOnce();
        }
        Assert.True(done.Wait(Dilated(GraphLockHarness.WaitLimit)), $"code posted to loop '{loop.Name}' ran");
        if (failure is not null)
        {
            throw new InvalidOperationException($"Code posted to loop '{loop.Name}' failed.", failure);
        }
    }
}
