using System.Diagnostics;
using TestTools;

namespace Nodes.Tests.Disk;

/// <summary>Runs qemu-io one-shot (<c>-c</c> commands), or as a session, through <see cref="ExternalTool"/>.</summary>
public static class QemuIo
{
    /// <summary>Full path of qemu-io, or null when qemu-utils is not installed.</summary>
    public static string? Executable { get; } = ExternalTool.Find("qemu-io");

    /// <summary>Runs <c>qemu-io ARGS</c> and returns its exit code and output.</summary>
    public static Task<ExternalTool.Result> RunAsync(params string[] arguments) =>
        ExternalTool.RunAsync(Executable ?? throw new InvalidOperationException("qemu-io is not installed"), arguments);

    internal static Process Start(IEnumerable<string> arguments, bool redirectInput) =>
        ExternalTool.Start(Executable ?? throw new InvalidOperationException("qemu-io is not installed"), arguments, redirectInput);
}
