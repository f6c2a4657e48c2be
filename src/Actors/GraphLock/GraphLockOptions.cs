using HoconConfig = Actors.Config.Config;

namespace Actors.GraphLock;

/// <summary>Settings shared by the Coordinator, host aggregators and IoThreads.</summary>
/// <param name="DebugAssertions">Check lock discipline at run time (<c>actors.graph-lock.debug-assertions</c>); on in tests.</param>
/// <param name="Monitor">In-process referee that fails when a reader and a write section overlap (tests and benchmarks).</param>
public sealed record GraphLockOptions(bool DebugAssertions = false, GraphLockMonitor? Monitor = null)
{
    /// <summary>Reads <c>actors.graph-lock</c> from <paramref name="config"/>.</summary>
    public static GraphLockOptions FromConfig(HoconConfig config) =>
        new(DebugAssertions: config.GetConfig("actors.graph-lock").GetBoolean("debug-assertions"));
}
