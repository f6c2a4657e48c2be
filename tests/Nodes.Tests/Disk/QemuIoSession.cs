using System.Diagnostics;
using System.Text;
using TestTools;

namespace Nodes.Tests.Disk;

/// <summary>
/// An interactive qemu-io holding an image open (and its QEMU lock bytes) until <see cref="QuitAsync"/>
/// or dispose. qemu-io opens the image before it prints its first prompt and flushes stdout at every
/// prompt, so "a command's answer came back" proves the image is open.
/// </summary>
public sealed class QemuIoSession : IAsyncDisposable
{
    private const string Prompt = "qemu-io> ";

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly Task _stdoutPump;
    private readonly Task<string> _stderr;
    private readonly SemaphoreSlim _changed = new(0);

    private QemuIoSession(Process process)
    {
        _process = process;
        _stdoutPump = PumpAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts <c>qemu-io ARGS</c> and returns once it has the image open (bounded wait).</summary>
    public static async Task<QemuIoSession> StartAsync(params string[] arguments)
    {
        var session = new QemuIoSession(QemuIo.Start(arguments, redirectInput: true));
        try
        {
            // The answer to "length" is followed by a second prompt.
            await session._process.StandardInput.WriteLineAsync("length");
            await session._process.StandardInput.FlushAsync();
            await session.WaitForAsync(text => CountPrompts(text) >= 2);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything qemu-io printed on stdout so far.</summary>
    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Sends "quit" and waits (bounded) for qemu-io to exit, which releases its locks.</summary>
    public async Task QuitAsync()
    {
        await _process.StandardInput.WriteLineAsync("quit");
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(ExternalTool.Timeout);
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        ExternalTool.Kill(_process);
        try
        {
            await _stdoutPump.WaitAsync(ExternalTool.Timeout);
        }
        catch (Exception)
        {
            // The pump ends when the pipe closes; its failure does not matter once the process is gone.
        }
        _process.Dispose();
        _changed.Dispose();
    }

    private async Task WaitForAsync(Func<string, bool> condition)
    {
        using var timeout = new CancellationTokenSource(ExternalTool.Timeout);
        while (!condition(Output))
        {
            if (_process.HasExited)
            {
                await _stdoutPump.WaitAsync(timeout.Token);
                if (condition(Output))
                {
                    return;
                }
                throw new InvalidOperationException(
                    $"qemu-io exited with {_process.ExitCode} before it was ready.\nstdout: {Output}\nstderr: {await _stderr.WaitAsync(timeout.Token)}");
            }
            try
            {
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(200), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"qemu-io did not answer within {ExternalTool.Timeout}.\nstdout: {Output}");
            }
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new char[4096];
        int read;
        while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_stdout)
            {
                _stdout.Append(buffer, 0, read);
            }
            _changed.Release();
        }
        _changed.Release();
    }

    private static int CountPrompts(string text)
    {
        var count = 0;
        for (var at = text.IndexOf(Prompt, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Prompt, at + Prompt.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
