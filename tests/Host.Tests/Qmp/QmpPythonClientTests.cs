using System.Diagnostics;

namespace Host.Tests.Qmp;

/// <summary>A client that is not ours: Python's stdlib speaking QMP over the socket.</summary>
public sealed class QmpPythonClientTests
{
    private const string Script = """
        import json, socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(sys.argv[1])
        f = s.makefile("rw")
        greeting = json.loads(f.readline())
        assert "QMP" in greeting, greeting
        def run(cmd):
            f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
            return json.loads(f.readline())
        assert run("qmp_capabilities") == {"return": {}}
        print(json.dumps(run("query-version")["return"]))
        """;

    [PythonFact]
    public async Task A_python_stdlib_client_negotiates_and_runs_query_version()
    {
        var python = FindPython()!;
        await using var fixture = await QmpFixture.StartAsync();
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(fixture.SocketPath);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, await errors);
        Assert.Contains("\"major\": 7", await output);
        Assert.Contains("\"package\": \"actors\"", await output);
    }

    /// <summary>Needs python3; without it the test is reported as skipped, with the reason.</summary>
    private sealed class PythonFactAttribute : FactAttribute
    {
        public PythonFactAttribute()
        {
            if (FindPython() is null)
            {
                Skip = "python3 not installed: the C# client tests cover the protocol";
            }
        }
    }

    private static string? FindPython() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "python3"))
            .FirstOrDefault(File.Exists);
}
