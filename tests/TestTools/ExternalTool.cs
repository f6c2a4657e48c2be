using System.Diagnostics;

namespace TestTools;

/// <summary>
/// Runs the real command-line tools tests drive (qemu-img, qemu-io, nbdinfo, nbdcopy) with a
/// bounded wait; processes are always reaped.
/// </summary>
public static class ExternalTool
{
    /// <summary>Upper bound for one run; the tools normally take well under a second.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>The full path of <paramref name="name"/> on the PATH, or null.</summary>
    public static string? Find(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs <c>TOOL ARGS</c> (a name on the PATH, or a full path) to completion and returns its exit code and output.</summary>
    public static async Task<Result> RunAsync(string tool, IEnumerable<string> arguments)
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
    public static Process Start(string tool, IEnumerable<string> arguments, bool redirectInput = false)
    {
        var start = new ProcessStartInfo(Path.IsPathRooted(tool) ? tool : Find(tool) ?? throw new InvalidOperationException($"{tool} is not installed"))
        {
            RedirectStandardInput = redirectInput,
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

    /// <summary>Kills the process (and its children) if it still runs, and reaps it.</summary>
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
            // It exited between the check and the kill: nothing is left to reap.
        }
    }
}
