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

    /// <summary>How a run ended. <see cref="ToString"/> is what a failed assertion should show: the command line, the exit code, stderr, then stdout.</summary>
    /// <param name="CommandLine">The command as a shell would take it (see <see cref="Quote"/>), to rerun by hand.</param>
    /// <param name="ExitCode">The tool's exit code.</param>
    /// <param name="Stdout">Everything it wrote to stdout.</param>
    /// <param name="Stderr">Everything it wrote to stderr.</param>
    public sealed record Result(string CommandLine, int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"`{CommandLine}` exited with code {ExitCode}\nstderr: {Stderr.TrimEnd()}\nstdout: {Stdout.TrimEnd()}";
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

    /// <summary>
    /// Runs <c>TOOL ARGS</c> (a name on the PATH, or a full path) to completion, in
    /// <paramref name="workingDirectory"/> when given, and returns its exit code and output. A run
    /// that outlasts <see cref="Timeout"/> is killed and throws a <see cref="TimeoutException"/>
    /// naming the command line, with what it printed so far.
    /// </summary>
    public static async Task<Result> RunAsync(string tool, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var argumentList = arguments.ToList();
        var commandLine = string.Join(' ', argumentList.Prepend(tool).Select(Quote));
        using var process = Start(tool, argumentList, workingDirectory: workingDirectory);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // Killed first, so the pipes close and the output read so far can be shown.
                Kill(process);
                throw new TimeoutException($"`{commandLine}` did not exit within {Timeout.TotalSeconds:0} s and was killed\n" +
                    $"stderr: {(await stderr.WaitAsync(TimeSpan.FromSeconds(10))).TrimEnd()}\nstdout: {(await stdout.WaitAsync(TimeSpan.FromSeconds(10))).TrimEnd()}");
            }
            return new Result(commandLine, process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Kill(process);
        }
    }

    /// <summary>An argument as a POSIX shell reads it back: bare when it is plain, single-quoted otherwise.</summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=,:+@%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";

    /// <summary>
    /// Starts <c>TOOL ARGS</c>, in <paramref name="workingDirectory"/> when given; the caller kills
    /// it with <see cref="Kill"/> in a finally.
    /// </summary>
    public static Process Start(string tool, IEnumerable<string> arguments, bool redirectInput = false, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Path.IsPathRooted(tool) ? tool : Find(tool) ?? throw new InvalidOperationException($"{tool} is not installed"))
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
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
