using System.Diagnostics;

namespace Host.Tests.Nbd;

/// <summary>
/// The real NBD clients from Debian the tests drive (qemu-img and qemu-io from qemu-utils,
/// nbdinfo and nbdcopy from libnbd-bin), run with a bounded wait; processes are always reaped.
/// </summary>
public static class NbdTools
{
    /// <summary>Upper bound for one client run; they normally take well under a second.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>The Debian package that provides each tool, for the skip reason.</summary>
    public static string PackageOf(string tool) => tool is "nbdinfo" or "nbdcopy" ? "libnbd-bin" : "qemu-utils";

    /// <summary>Full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Find(string tool)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs <c>TOOL ARGS</c> to completion and returns its exit code and output.</summary>
    public static async Task<Result> RunAsync(string tool, params string[] arguments)
    {
        using var process = Start(tool, arguments);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Kill(process);
        }
    }

    /// <summary>Starts <c>TOOL ARGS</c>; the caller kills it with <see cref="Kill"/> in a finally.</summary>
    public static Process Start(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(Find(tool) ?? throw new InvalidOperationException($"{tool} is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
    }

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
