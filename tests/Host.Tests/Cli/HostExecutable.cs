using System.Diagnostics;
using System.Runtime.InteropServices;
using TestTools;

namespace Host.Tests.Cli;

/// <summary>
/// The built host (<c>actors-host.dll</c>, beside the tests) run as a user runs it: a child
/// process with its own working directory, stopped with SIGTERM as <c>kill</c> or systemd would.
/// Every wait is bounded by <see cref="ExternalTool.Timeout"/>; the process is always reaped.
/// </summary>
public sealed class HostExecutable : IAsyncDisposable
{
    private const int SIGTERM = 15;

    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private HostExecutable(Process process, TaskCompletionSource up)
    {
        _process = process;
        _stdout = ReadStdoutAsync(process, up, _output);
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The host's own arguments after <c>dotnet</c>: the assembly, then <paramref name="arguments"/>.</summary>
    private static IEnumerable<string> CommandLine(string[] arguments) =>
        [Path.Combine(AppContext.BaseDirectory, "actors-host.dll"), .. arguments];

    /// <summary>The dotnet that runs these tests, so the host runs on the same runtime.</summary>
    private static string DotNet =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>Runs the host to completion (a start it refuses), returning its exit code and output.</summary>
    public static Task<ExternalTool.Result> RunAsync(string workingDirectory, params string[] arguments) =>
        ExternalTool.RunAsync(DotNet, CommandLine(arguments), workingDirectory);

    /// <summary>Starts the host and returns once it says it is up; a host that exits first fails with what it printed.</summary>
    public static async Task<HostExecutable> StartAsync(string workingDirectory, params string[] arguments)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = new HostExecutable(ExternalTool.Start(DotNet, CommandLine(arguments), workingDirectory: workingDirectory), up);
        try
        {
            await up.Task.WaitAsync(ExternalTool.Timeout);
            return host;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            await host.DisposeAsync();
            throw new InvalidOperationException($"{e.Message}\nstderr: {await host._stderr}", e);
        }
    }

    /// <summary>Sends SIGTERM and returns how the host ended.</summary>
    public async Task<ExternalTool.Result> StopAsync()
    {
        Assert.Equal(0, Kill(_process.Id, SIGTERM));
        using var timeout = new CancellationTokenSource(ExternalTool.Timeout);
        await _process.WaitForExitAsync(timeout.Token);
        return new ExternalTool.Result("actors-host", _process.ExitCode, await _stdout, await _stderr);
    }

    /// <summary>Kills the host with SIGKILL (kill -9): nothing of it runs any more, nothing is cleaned up.</summary>
    public void KillAbruptly() => ExternalTool.Kill(_process);

    /// <summary>What the host printed on stdout so far (its log), to show when a test fails.</summary>
    public string OutputSoFar
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    public async ValueTask DisposeAsync()
    {
        ExternalTool.Kill(_process);
        await Task.WhenAll(_stdout, _stderr).WaitAsync(ExternalTool.Timeout);
        _process.Dispose();
    }

    /// <summary>All of stdout; <paramref name="up"/> completes at the host's "is up" line, or fails at the end of output without it.</summary>
    private static async Task<string> ReadStdoutAsync(Process process, TaskCompletionSource up, System.Text.StringBuilder output)
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
            if (line.StartsWith("Host ", StringComparison.Ordinal) && line.Contains(" is up.", StringComparison.Ordinal))
            {
                up.TrySetResult();
            }
        }
        up.TrySetException(new InvalidOperationException($"The host exited before it was up; stdout:\n{output}"));
        return output.ToString();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
