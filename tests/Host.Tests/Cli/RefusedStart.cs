using Host.Cli;

namespace Host.Tests.Cli;

/// <summary>The host's command line run in-process for a start it refuses: one line on the error writer and an exit code.</summary>
internal static class RefusedStart
{
    /// <summary>Runs the host with <paramref name="arguments"/>; returns its exit code and the one line it wrote to the error writer.</summary>
    public static async Task<(int Code, string Line)> RunAsync(params string[] arguments)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HostCommand.RunAsync(arguments, output, error);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on the error writer, got:\n{error}");
        return (code, lines[0].TrimEnd('\r'));
    }
}
