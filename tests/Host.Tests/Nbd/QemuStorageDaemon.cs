using System.Diagnostics;
using System.Net.Sockets;
using TestTools;

namespace Host.Tests.Nbd;

/// <summary>
/// qemu-storage-daemon (Debian's qemu-system-common) serving NBD on a Unix socket: the reference
/// whose answers ours are compared with, on the same images, in the same test.
/// </summary>
public sealed class QemuStorageDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private QemuStorageDaemon(Process process, string socketPath)
    {
        _process = process;
        SocketPath = socketPath;
        _stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
    }

    public string SocketPath { get; }

    /// <summary>
    /// Starts the daemon with <paramref name="arguments"/> (blockdevs and exports) and waits until
    /// its socket takes connections; with <paramref name="tlsCredsDir"/>, its NBD server requires
    /// TLS with the server credentials there (<c>tls-creds-x509</c> with QEMU's defaults).
    /// </summary>
    public static async Task<QemuStorageDaemon> StartAsync(string socketPath, IEnumerable<string> arguments, string? tlsCredsDir = null)
    {
        string[] tls = tlsCredsDir is null ? [] : ["--object", $"tls-creds-x509,id=tls0,dir={tlsCredsDir},endpoint=server"];
        // The server first: qsd adds each --export to the NBD server started before it.
        var process = ExternalTool.Start("qemu-storage-daemon", [
            .. tls, "--nbd-server", $"addr.type=unix,addr.path={socketPath}" + (tlsCredsDir is null ? "" : ",tls-creds=tls0"), .. arguments]);
        var daemon = new QemuStorageDaemon(process, socketPath);
        try
        {
            await daemon.WaitUntilListeningAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>The NBD URI of export <paramref name="name"/>.</summary>
    public string Uri(string name) => $"nbd+unix:///{name}?socket={SocketPath}";

    public async ValueTask DisposeAsync()
    {
        ExternalTool.Kill(_process);
        await _stderr.WaitAsync(NbdHost.Timeout);
        _process.Dispose();
    }

    private async Task WaitUntilListeningAsync()
    {
        using var timeout = new CancellationTokenSource(NbdHost.Timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"qemu-storage-daemon exited with code {_process.ExitCode}: {await _stderr}");
            }
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await probe.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token);
                return;
            }
            catch (SocketException) when (!timeout.IsCancellationRequested)
            {
                // Not listening yet: the daemon is still opening its images.
                await Task.Delay(20, timeout.Token);
            }
        }
    }
}
