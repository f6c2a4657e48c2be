using System.Diagnostics;
using System.Runtime.InteropServices;
using Host.Cli;
using Host.Tests.Qmp;
using TestTools;

namespace Host.Tests.Cluster;

/// <summary>
/// An <c>actors-host</c> process, the built executable run by dotnet as a user runs it, on a data
/// dir of its own with its QMP monitor on a Unix socket there; its output is kept and can be waited
/// on line by line. Disposing it kills the process if it still runs and deletes the data dir.
/// </summary>
internal sealed class HostProcessRunner : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _output = [];
    private readonly List<string> _errors = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    private HostProcessRunner(string name, string dataDir, Process process)
    {
        Name = name;
        DataDir = dataDir;
        _process = process;
    }

    public string Name { get; }

    public string DataDir { get; }

    /// <summary>What the host wrote to stderr: the one line it exits with, when it fails.</summary>
    public string Errors
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    /// <summary>
    /// Starts host <paramref name="name"/> with <paramref name="options"/> and waits until it says
    /// it is up. The environment's own ACTORS_* and CONFIG_FORCE_* settings are not passed on.
    /// </summary>
    public static async Task<HostProcessRunner> StartAsync(string name, TimeSpan timeout, params string[] options)
    {
        var dataDir = Directory.CreateTempSubdirectory($"cluster-process-{name}-").FullName;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? ExternalTool.Find("dotnet") ?? throw new InvalidOperationException("dotnet is not on the PATH");
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(typeof(HostCommand).Assembly.Location);
        foreach (var argument in (string[])[
            "--data-dir", dataDir,
            "--set", $"host.images-dir={dataDir}",
            "--set", $"actors.host={name}",
            "--chardev", $"socket,id=qmp,path={Path.Combine(dataDir, "qmp.sock")},server=on,wait=off",
            "--monitor", "chardev=qmp",
            .. options])
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ACTORS_", StringComparison.Ordinal) || k.StartsWith("CONFIG_FORCE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }
        var runner = new HostProcessRunner(name, dataDir, Process.Start(start)!);
        runner._process.OutputDataReceived += (_, e) => runner.OnLine(e.Data, runner._output);
        runner._process.ErrorDataReceived += (_, e) => runner.OnLine(e.Data, runner._errors);
        runner._process.BeginOutputReadLine();
        runner._process.BeginErrorReadLine();
        await runner.WaitForLineAsync(line => line == $"Host {name} is up. Press Ctrl+C to stop.", timeout);
        return runner;
    }

    /// <summary>A QMP session with the host's monitor, capabilities negotiated.</summary>
    public Task<QmpTestClient> ConnectAsync() => QmpTestClient.ConnectNegotiatedAsync(Path.Combine(DataDir, "qmp.sock"));

    /// <summary>Completes once the host has written a line that <paramref name="match"/> accepts (already or later).</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_output.Concat(_errors).Any(match))
            {
                return;
            }
            _waiters.Add((match, seen));
        }
        try
        {
            await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not write the awaited line within {timeout.TotalSeconds} s; its output ends with:\n{Tail()}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process (SIGSTOP, SIGCONT, SIGKILL, SIGTERM).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The exit code, once the process has exited.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s; its output ends with:\n{Tail()}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(DataDir, recursive: true);
    }

    private void OnLine(string? line, List<string> lines)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private string Tail()
    {
        lock (_lock)
        {
            return string.Join('\n', _output.TakeLast(60).Concat(_errors));
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
