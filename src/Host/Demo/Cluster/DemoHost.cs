using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Host.Demo.Cluster;

/// <summary>
/// One host of the cluster demo: an <c>actors-host</c> process of this same build on loopback,
/// with a directory of its own (data dir, images, its log, its QMP and NBD Unix sockets). It is
/// up once it printed "Host NAME is up"; it ends by QMP <c>quit</c>, or by SIGKILL as
/// <c>kill -9</c> would.
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _output;
    private readonly Lock _logLock = new();
    private string _lastError = "";

    private DemoHost(string name, string directory, int remotingPort, Process process)
    {
        Name = name;
        Directory = directory;
        RemotingPort = remotingPort;
        _process = process;
        // Flushed line by line, so the log can be followed (tail -f) while the demo runs.
        _log = new StreamWriter(LogFile) { AutoFlush = true };
        _output = Task.WhenAll(CopyAsync(process.StandardOutput, isError: false), CopyAsync(process.StandardError, isError: true));
    }

    public string Name { get; }

    /// <summary>The host's own directory; its working directory too.</summary>
    public string Directory { get; }

    /// <summary>Where the host's Akka.Remote listens on 127.0.0.1.</summary>
    public int RemotingPort { get; }

    public string QmpSocket => Path.Combine(Directory, "qmp.sock");

    public string NbdSocket => Path.Combine(Directory, "nbd.sock");

    public string ImagesDirectory => Path.Combine(Directory, "images");

    /// <summary>Everything the host printed, stdout and stderr.</summary>
    public string LogFile => Path.Combine(Directory, "host.log");

    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts host <paramref name="name"/> in <paramref name="directory"/> with Akka.Remote on
    /// <paramref name="remotingPort"/>, the HOCON file <paramref name="configFile"/> and
    /// <paramref name="settings"/> (assignments for <c>--set</c>) and the environment variables
    /// <paramref name="environment"/> (where the demo's own environment does not set them already),
    /// and returns once it is up. A host that exits first, or is not up within
    /// <paramref name="timeout"/>, throws a <see cref="DemoCheckException"/> with its last error line.
    /// </summary>
    public static async Task<DemoHost> StartAsync(string name, string directory, int remotingPort, string configFile, IEnumerable<string> settings, IEnumerable<(string Variable, string Value)> environment, TimeSpan timeout)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "images"));
        var (program, prefix) = HostCommandLine();
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (variable, value) in environment)
        {
            start.Environment.TryAdd(variable, value);
        }
        string[] arguments =
        [
            .. prefix,
            "--data-dir", Path.Combine(directory, "data"),
            "--config", configFile,
            .. settings.Append($"actors.host = {name}").Append($"akka.remote.dot-netty.tcp.port = {remotingPort}").SelectMany(s => new[] { "--set", s }),
            "--nbd-server", $"addr.type=unix,addr.path={Path.Combine(directory, "nbd.sock")}",
            "--chardev", $"socket,id=qmp,path={Path.Combine(directory, "qmp.sock")},server=on,wait=off",
            "--monitor", "chardev=qmp",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var host = new DemoHost(name, directory, remotingPort, Process.Start(start) ?? throw new DemoCheckException($"{name}: could not start {program}"));
        try
        {
            await host._up.Task.WaitAsync(timeout);
            return host;
        }
        catch (Exception e) when (e is TimeoutException or DemoCheckException)
        {
            await host.DisposeAsync();
            throw new DemoCheckException(e is TimeoutException
                ? $"{name} was not up within {timeout.TotalSeconds:0} s (its log: {host.LogFile})"
                : e.Message);
        }
    }

    /// <summary>A free TCP port on loopback for a host's remoting (free now; a host takes it moments later).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the process with SIGKILL: nothing of it runs any more, nothing is cleaned up.</summary>
    public void KillAbruptly() => _process.Kill();

    /// <summary>Asks the host to stop (QMP <c>quit</c>) and waits for it, killing it if it has not stopped within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(QmpSocket, timeout);
            await qmp.ExecuteAsync("quit");
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (Exception e) when (e is TimeoutException or IOException or SocketException or QmpCommandException)
        {
            // A host that does not stop cleanly is killed: the demo's verdict is in by now.
            _process.Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync();
        await _output;
        await _log.DisposeAsync();
        _process.Dispose();
    }

    /// <summary>
    /// The host of this build: run by the dotnet that runs the demo (<c>dotnet run</c>, the tests),
    /// else by its apphost beside this assembly.
    /// </summary>
    private static (string Program, string[] Prefix) HostCommandLine()
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "actors-host.dll");
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            return (path, [assembly]);
        }
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "actors-host.exe" : "actors-host");
        return File.Exists(apphost) ? (apphost, []) : ("dotnet", [assembly]);
    }

    /// <summary>Copies one of the host's streams to its log, watching stdout for the "is up" line and stderr for its last error.</summary>
    private async Task CopyAsync(StreamReader stream, bool isError)
    {
        while (await stream.ReadLineAsync() is { } line)
        {
            lock (_logLock)
            {
                _log.WriteLine(line);
                if (isError && line.Length > 0)
                {
                    _lastError = line;
                }
            }
            if (!isError && line.StartsWith($"Host {Name} is up.", StringComparison.Ordinal))
            {
                _up.TrySetResult();
            }
        }
        if (!isError)
        {
            await _process.WaitForExitAsync();
            _up.TrySetException(new DemoCheckException($"{Name} exited with code {_process.ExitCode} before it was up: {LastError}"));
        }
    }

    private string LastError
    {
        get
        {
            lock (_logLock)
            {
                return _lastError.Length > 0 ? _lastError : $"see {LogFile}";
            }
        }
    }
}
