using System.Net.Sockets;
using System.Runtime.InteropServices;
using Akka.Actor;
using Host.Cluster;
using Host.Daemon;
using Host.Nbd;
using Host.Qmp;
using Microsoft.Extensions.Logging;
using Nodes.Tls;
using HoconConfig = Actors.Config.Config;

namespace Host.Hosting;

/// <summary>
/// The host process assembled in one place (the composition root): from the resolved
/// configuration and qemu-storage-daemon's options it starts the <see cref="StorageHost"/> (its
/// actor system, IoThreads, graph and journal), carries out the options, starts the NBD server
/// and the QMP monitors, and runs until Ctrl+C, SIGTERM or a QMP <c>quit</c>; disposing it stops
/// them in reverse order (front ends first, then the actors).
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<QmpServer> _monitors = [];
    private readonly CancellationTokenSource _stop = new();
    private StorageHost? _host;
    private NbdServerControl? _nbd;

    private HostProcess(ILoggerFactory loggerFactory) => _loggerFactory = loggerFactory;

    /// <summary>The storage host inside (its name, runtime and actors).</summary>
    public StorageHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>
    /// Starts everything <paramref name="config"/> and <paramref name="daemon"/> describe,
    /// printing where to connect on <paramref name="output"/>. With no daemon options, the
    /// host serves its scratch image (<c>host.defaults</c>). A refused option throws
    /// <see cref="ArgumentException"/> naming it; what did start is stopped first.
    /// </summary>
    public static async Task<HostProcess> StartAsync(HoconConfig config, DaemonOptions daemon, TextWriter output)
    {
        var process = new HostProcess(LoggerFactory.Create(builder => builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            // Milliseconds in UTC: a failover is told by lining up several hosts' logs.
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        })));
        try
        {
            await process.StartPartsAsync(config, daemon, output);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Completes when the host is asked to stop (Ctrl+C, SIGTERM or a QMP <c>quit</c>), with null, or
    /// when its actor system stopped on its own (the cluster downed the host), with a line saying why.
    /// </summary>
    public async Task<string?> WaitForStopAsync()
    {
        // Ctrl+C and SIGTERM (systemd, kill) stop the host the same way: front ends close first.
        Console.CancelKeyPress += OnCancelKeyPress;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
        try
        {
            var system = Host.System;
            var stopped = await Task.WhenAny([Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default), system.WhenTerminated, .. _monitors.Select(m => m.WhenQuitRequested)]);
            return stopped == system.WhenTerminated ? StopReason.Describe(Host.Runtime.Host, CoordinatedShutdown.Get(system).ShutdownReason) : null;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var monitor in _monitors)
        {
            await monitor.StopAsync();
        }
        if (_nbd is not null)
        {
            await _nbd.DisposeAsync();
        }
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        _loggerFactory.Dispose();
        _stop.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    private async Task StartPartsAsync(HoconConfig config, DaemonOptions daemon, TextWriter output)
    {
        var settings = config.GetConfig("host");
        var runDefaults = daemon.IsEmpty;
        if (runDefaults)
        {
            daemon = DefaultDaemon(settings.GetConfig("defaults"), config.GetString("akka.actor.provider") == "cluster" ? $"-{config.GetString("actors.host")}" : "");
        }
        // Before the graph's recovery: an nbd node in the journal may name credentials.
        var tlsCreds = new TlsCredsRegistry();
        foreach (var creds in daemon.TlsCreds)
        {
            tlsCreds.Add(creds.Load());
        }
        var nbdTlsCreds = daemon.NbdServerTlsCreds is { } id ? NbdServerCreds(tlsCreds, id) : null;
        _host = await StorageHost.StartAsync(config, new StorageHostOptions(
            settings.GetString("data-dir"),
            ImagesDir(settings),
            [.. settings.GetStringList("iothreads").Union(daemon.IoThreads)]) { TlsCreds = tlsCreds }, _loggerFactory);
        if (_host.System is ExtendedActorSystem { Provider: Akka.Cluster.ClusterActorRefProvider })
        {
            // Other hosts ask it for this host's name (x-query-cluster).
            _host.System.ActorOf(HostIdentity.Props(_host.Runtime.Host, () => _nbd?.Endpoint?.ToString()), HostIdentity.Name);
            _host.System.ActorOf(QuarantineWatch.Props(), QuarantineWatch.Name);
        }
        if (runDefaults)
        {
            CreateScratchImage(_host, settings.GetConfig("defaults"));
        }
        await DaemonPlan.RunAsync(_host, daemon);
        _nbd = new NbdServerControl(_host.Runtime, _loggerFactory.CreateLogger("Host.Nbd"));
        if (daemon.NbdServer is { } address)
        {
            await ListenAsync(
                $"NBD server on {address}",
                runDefaults ? "host.defaults.nbd-port" : null,
                () => _nbd.StartAsync(address.Type == "unix" ? new NbdServerAddress.Unix(address.HostOrPath) : new NbdServerAddress.Inet(address.HostOrPath, $"{address.Port}"), nbdTlsCreds, daemon.NbdServerHandshakeLimit, CancellationToken.None));
            if (nbdTlsCreds is null)
            {
                var first = daemon.Exports.FirstOrDefault()?.Name ?? "EXPORT";
                var uri = address.Type == "unix" ? $"nbd+unix:///EXPORT?socket={address.HostOrPath}" : $"nbd://{address.HostOrPath}:{address.Port}/EXPORT";
                await output.WriteLineAsync($"NBD server on {address}; try: nbdinfo --list '{uri.Replace("EXPORT", "")}' or qemu-io -f raw -c 'read 0 4k' '{uri.Replace("EXPORT", first)}'");
            }
            else
            {
                // libnbd takes the client's certificates as a directory with QEMU's file names.
                var uri = address.Type == "unix" ? $"nbds+unix:///EXPORT?socket={address.HostOrPath}&" : $"nbds://{address.HostOrPath}:{address.Port}/EXPORT?";
                await output.WriteLineAsync($"NBD server on {address} with TLS ({nbdTlsCreds.Id}, client certificates {(nbdTlsCreds.VerifyPeer ? "required" : "not checked")}); try: nbdinfo --list '{uri.Replace("EXPORT", "")}tls-certificates=CLIENT-DIR'");
            }
        }
        foreach (var chardev in daemon.Monitors.Select(id => daemon.Chardevs[id]))
        {
            var monitor = new QmpServer(_host, _nbd);
            _monitors.Add(monitor);
            // The default monitor listens where the configuration says (host.defaults.listen-address).
            await ListenAsync($"QMP monitor on {chardev}", runDefaults ? "host.defaults.qmp-port" : null, () => monitor.StartAsync(chardev.ToEndPoint(), anyAddress: runDefaults));
            await output.WriteLineAsync($"QMP monitor on {chardev}; try: bash {QmpScript} {chardev} query-named-block-nodes");
        }
    }

    /// <summary>The credentials <c>--nbd-server tls-creds=ID</c> names: a server endpoint's, or one line saying why not.</summary>
    private static TlsCredsX509 NbdServerCreds(TlsCredsRegistry registry, string id)
    {
        try
        {
            return registry.Get(id, TlsEndpoint.Server);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--nbd-server: {e.Message}", e);
        }
    }

    /// <summary>The QMP client script the build puts next to the host (src/Host/scripts/qmp.sh).</summary>
    private static string QmpScript => Path.Combine(AppContext.BaseDirectory, "qmp.sh");

    /// <summary>
    /// Starts listening; an address in use or refused is one line naming the server and address
    /// (and, for the defaults, the setting that picks another port), not a bare socket error.
    /// </summary>
    private static async Task ListenAsync(string server, string? portSetting, Func<Task> listen)
    {
        try
        {
            await listen();
        }
        catch (SocketException e)
        {
            var hint = portSetting is null ? "" : $" (another host running? --set {portSetting}=PORT picks another port)";
            throw new InvalidOperationException($"{server}: {e.Message}{hint}", e);
        }
    }

    /// <summary>
    /// <c>host.images-dir</c>: unset (null), images go wherever their filename says, as for
    /// qemu-storage-daemon; set, they are confined to that directory.
    /// </summary>
    private static string? ImagesDir(HoconConfig settings)
    {
        if (!settings.HasPath("images-dir"))
        {
            return null;
        }
        var imagesDir = settings.GetString("images-dir");
        return string.IsNullOrWhiteSpace(imagesDir)
            ? throw new ArgumentException("host.images-dir is empty: leave it unset for images anywhere, or name the directory to confine them to")
            : imagesDir;
    }

    /// <summary>
    /// The daemon a host runs without options: the scratch image as raw over file, exported
    /// writable as <c>scratch</c> over NBD, and a QMP monitor, both on
    /// <c>host.defaults.listen-address</c> (loopback unless configured otherwise). In a cluster,
    /// where node names and export names are the whole graph's, the names end in
    /// <paramref name="suffix"/> (<c>-h2</c>: <c>scratch-h2</c>), so every host has its own.
    /// </summary>
    private static DaemonOptions DefaultDaemon(HoconConfig defaults, string suffix)
    {
        var image = defaults.GetString("scratch-image");
        var address = defaults.GetString("listen-address");
        return new DaemonOptions()
            .With("--blockdev", $"driver=file,node-name=scratch-file{suffix},filename={image}")
            .With("--blockdev", $"driver=raw,node-name=scratch{suffix},file=scratch-file{suffix}")
            .With("--nbd-server", $"addr.type=inet,addr.host={address},addr.port={defaults.GetInt("nbd-port")}")
            .With("--export", $"type=nbd,id=scratch{suffix},node-name=scratch{suffix},name=scratch{suffix},writable=on")
            .With("--chardev", $"socket,id=qmp,host={address},port={defaults.GetInt("qmp-port")},server=on,wait=off")
            .With("--monitor", "chardev=qmp");
    }

    private static void CreateScratchImage(StorageHost host, HoconConfig defaults)
    {
        var image = defaults.GetString("scratch-image");
        var path = Path.GetFullPath(host.Options.ImagesDir is { } imagesDir ? Path.Combine(imagesDir, image) : image);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            host.Disk.Create(image, defaults.GetBytes("scratch-size"));
        }
    }
}
