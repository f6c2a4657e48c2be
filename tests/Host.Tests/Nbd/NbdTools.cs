using TestTools;

namespace Host.Tests.Nbd;

/// <summary>The real NBD tools from Debian the tests drive: qemu-img and qemu-io (qemu-utils), nbdinfo and nbdcopy (libnbd-bin), qemu-storage-daemon (qemu-system-common) as a server.</summary>
public static class NbdTools
{
    /// <summary>The Debian package that provides each tool, for the skip reason.</summary>
    public static string PackageOf(string tool) => tool switch
    {
        "nbdinfo" or "nbdcopy" => "libnbd-bin",
        "qemu-storage-daemon" => "qemu-system-common",
        _ => "qemu-utils",
    };

    /// <summary>Runs <c>TOOL ARGS</c> to completion and returns its exit code and output.</summary>
    public static Task<ExternalTool.Result> RunAsync(string tool, params string[] arguments) => ExternalTool.RunAsync(tool, arguments);
}
