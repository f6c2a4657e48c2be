using Actors.IoThreads;

namespace Actors.Tests.IoThreads;

/// <summary>
/// A fact that needs io_uring (Linux 5.6+, not disabled, not filtered out by seccomp). Without it
/// the test is reported as skipped with the reason, never silently passed.
/// </summary>
public sealed class IoRingFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> s_available = new(Probe);

    public IoRingFactAttribute()
    {
        if (!s_available.Value)
        {
            Skip = "io_uring is not available here (kernel, kernel.io_uring_disabled or seccomp)";
        }
    }

    private static bool Probe()
    {
        using var loop = new EventLoop("io_uring-probe");
        return loop.RunAsync(() => Task.FromResult(loop.Ring is not null)).GetAwaiter().GetResult();
    }
}
