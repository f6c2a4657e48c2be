using System.Text.Json;
using Nodes.Tests.Disk;
using TestTools;

namespace Nodes.Tests.Qcow2;

/// <summary>qemu-img and qemu-io one-shot, for making and checking images; a failed run fails the test with its output.</summary>
internal static class QemuImg
{
    /// <summary>Full path of qemu-img, or null when qemu-utils is not installed (tests using it are <see cref="QemuFactAttribute"/>s).</summary>
    public static string? Executable { get; } = ExternalTool.Find("qemu-img");

    public static Task<ExternalTool.Result> RunAsync(params string[] arguments) =>
        ExternalTool.RunAsync(Executable ?? throw new InvalidOperationException("qemu-img is not installed"), arguments);

    /// <summary>Runs qemu-img and asserts it exits 0; returns its stdout.</summary>
    public static async Task<string> RunCheckedAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>Runs qemu-io with <paramref name="commands"/> (each a <c>-c</c>) and asserts it exits 0 with no failed command.</summary>
    public static async Task<string> IoCheckedAsync(string format, string image, params string[] commands)
    {
        var arguments = new List<string> { "-f", format };
        foreach (var command in commands)
        {
            arguments.Add("-c");
            arguments.Add(command);
        }
        arguments.Add(image);
        var result = await QemuIo.RunAsync([.. arguments]);
        Assert.True(result.ExitCode == 0 && !result.Stdout.Contains("fail", StringComparison.OrdinalIgnoreCase) && result.Stderr.Length == 0,
            result.ToString());
        return result.Stdout;
    }

    /// <summary><c>qemu-img check</c> must find neither errors nor leaks (exit 0).</summary>
    public static async Task AssertConsistentAsync(string image)
    {
        var output = await RunCheckedAsync("check", "-f", "qcow2", image);
        Assert.Contains("No errors were found on the image.", output);
    }

    /// <summary>The extents of <c>qemu-img map --output=json</c>.</summary>
    public static async Task<IReadOnlyList<MapExtent>> MapAsync(string image)
    {
        var json = await RunCheckedAsync("map", "--output=json", "-f", "qcow2", image);
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(e => new MapExtent(
            e.GetProperty("start").GetInt64(),
            e.GetProperty("length").GetInt64(),
            e.GetProperty("depth").GetInt32(),
            e.GetProperty("data").GetBoolean(),
            e.GetProperty("zero").GetBoolean()))];
    }

    /// <summary>One extent of <c>qemu-img map</c>: depth 0 is the image itself, 1 its backing.</summary>
    public sealed record MapExtent(long Start, long Length, int Depth, bool Data, bool Zero)
    {
        public bool Covers(long offset, long length) => Start <= offset && offset + length <= Start + Length;
    }
}
