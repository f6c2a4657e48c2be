using TestTools;

namespace Host.Tests.Nbd;

/// <summary>The real NBD tools from Debian the tests drive: qemu-img and qemu-io (qemu-utils), nbdinfo and nbdcopy (libnbd-bin), qemu-storage-daemon (qemu-system-common) as a server, openssl for test certificates.</summary>
public static class NbdTools
{
    /// <summary>The Debian package that provides each tool, for the skip reason.</summary>
    public static string PackageOf(string tool) => tool switch
    {
        "nbdinfo" or "nbdcopy" => "libnbd-bin",
        "qemu-storage-daemon" => "qemu-system-common",
        "openssl" => "openssl",
        _ => "qemu-utils",
    };

    /// <summary>Why a test that needs <paramref name="tools"/> is skipped, naming what to install; null when all are there.</summary>
    public static string? SkipReason(string[] tools)
    {
        var missing = tools.Where(t => ExternalTool.Find(t) is null).ToArray();
        return missing.Length == 0 ? null
            : $"SKIPPED: {string.Join(", ", missing)} not installed (apt-get install {string.Join(' ', missing.Select(PackageOf).Distinct())}; tests/run.sh installs them)";
    }

    /// <summary>Runs <c>TOOL ARGS</c> to completion and returns its exit code and output.</summary>
    public static Task<ExternalTool.Result> RunAsync(string tool, params string[] arguments) => ExternalTool.RunAsync(tool, arguments);
}
