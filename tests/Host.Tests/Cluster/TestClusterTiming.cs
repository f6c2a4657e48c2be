using System.Runtime.CompilerServices;

namespace Host.Tests.Cluster;

/// <summary>
/// The failure detector's and the split-brain resolver's timing in test clusters: more patient
/// than the defaults (hocon/reference.conf, tuned for a quick failover), because tests share two
/// loaded cores and a busy core must not pass for a dead host. In-process hosts take these as
/// HOCON (<see cref="Hocon"/>); every host process the tests start, the demo's too, inherits them
/// as <c>CONFIG_FORCE_</c> environment variables, set once when the test assembly loads.
/// </summary>
internal static class TestClusterTiming
{
    private static readonly (string Path, string Value)[] Settings =
    [
        ("akka.cluster.failure-detector.acceptable-heartbeat-pause", "3s"),
        ("akka.cluster.split-brain-resolver.stable-after", "2s"),
    ];

    /// <summary>The settings as HOCON lines.</summary>
    public static string Hocon => string.Join('\n', Settings.Select(s => $"{s.Path} = {s.Value}"));

    [ModuleInitializer]
    internal static void ForHostProcesses()
    {
        foreach (var (path, value) in Settings)
        {
            // Lightbend's convention: '.' is '_', '-' is "__", '_' is "___".
            Environment.SetEnvironmentVariable($"CONFIG_FORCE_{path.Replace("_", "___").Replace("-", "__").Replace(".", "_")}", value);
        }
    }
}
