using System.Diagnostics;

namespace Nodes.Tests.Disk;

/// <summary>Runs qemu-io one-shot (<c>-c</c> commands) with a bounded wait; the process is always reaped.</summary>
public static class QemuIo
{
    /// <summary>Upper bound for one qemu-io run; it normally takes milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Full path of qemu-io, or null when qemu-utils is not installed.</summary>
    public static string? Executable { get; } = Find("qemu-io");

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>Runs <c>qemu-io ARGS</c> and returns its exit code and output.</summary>
    public static Task<Result> RunAsync(params string[] arguments) =>
        RunToolAsync(Executable ?? throw new InvalidOperationException("qemu-io is not installed"), arguments);

    /// <summary>Runs one of the qemu-utils tools (<paramref name="executable"/> is its full path) one-shot.</summary>
    internal static async Task<Result> RunToolAsync(string executable, IEnumerable<string> arguments)
    {
        using var process = Start(executable, arguments, redirectInput: false);
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

    internal static Process Start(IEnumerable<string> arguments, bool redirectInput) =>
        Start(Executable ?? throw new InvalidOperationException("qemu-io is not installed"), arguments, redirectInput);

    private static Process Start(string executable, IEnumerable<string> arguments, bool redirectInput)
    {
        var start = new ProcessStartInfo(executable)
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
        return Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
    }

    internal static void Kill(Process process)
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

    /// <summary>The full path of <paramref name="name"/> on the PATH, or null.</summary>
    internal static string? Find(string name)
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
}
