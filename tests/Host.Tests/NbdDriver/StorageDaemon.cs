using System.Diagnostics;
using System.Net.Sockets;
using Nodes.Nbd;
using TestTools;

namespace Host.Tests.NbdDriver;

/// <summary>
/// qemu-storage-daemon exporting one raw image over NBD on a Unix socket: the server an
/// <c>nbd</c> node connects to. <see cref="Kill"/> is a crash (SIGKILL), and
/// <see cref="StartAgainAsync"/> brings the same export back on the same socket.
/// </summary>
public sealed class StorageDaemon : IAsyncDisposable
{
    private readonly string _image;
    private readonly bool _writable;
    private Process? _process;

    private StorageDaemon(string image, string socketPath, string export, bool writable)
    {
        _image = image;
        SocketPath = socketPath;
        Export = export;
        _writable = writable;
    }

    public string SocketPath { get; }

    public string Export { get; }

    /// <summary>The export's URI for qemu-img and qemu-io.</summary>
    public string Uri => $"nbd+unix:///{Export}?socket={SocketPath}";

    /// <summary>Starts qsd on <paramref name="image"/> and returns once a client can select the export.</summary>
    public static async Task<StorageDaemon> StartAsync(string image, string socketPath, string export, bool writable)
    {
        var daemon = new StorageDaemon(image, socketPath, export, writable);
        await daemon.StartAgainAsync();
        return daemon;
    }

    /// <summary>Starts the daemon (again) with the same image, socket and export; returns once the export answers.</summary>
    public async Task StartAgainAsync()
    {
        Assert.Null(_process);
        File.Delete(SocketPath);
        _process = ExternalTool.Start("qemu-storage-daemon", [
            "--blockdev", $"driver=file,node-name=f0,filename={_image}" + (_writable ? "" : ",read-only=on"),
            "--nbd-server", $"addr.type=unix,addr.path={SocketPath}",
            "--export", $"type=nbd,id=e0,node-name=f0,name={Export},writable={(_writable ? "on" : "off")}",
        ]);
        using var bound = new CancellationTokenSource(ExternalTool.Timeout);
        while (true)
        {
            try
            {
                await using var probe = await NbdClient.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), Export, maxInFlight: 1, bound.Token);
                return;
            }
            catch (NbdClientException) when (!_process.HasExited)
            {
                // Not listening yet: the daemon is still starting.
                await Task.Delay(50, bound.Token);
            }
            catch (NbdClientException) when (_process.HasExited)
            {
                throw new InvalidOperationException($"qemu-storage-daemon exited with code {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}");
            }
        }
    }

    /// <summary>Kills the daemon with SIGKILL, as a crash would, and reaps it.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            ExternalTool.Kill(process);
            process.Dispose();
            _process = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}
