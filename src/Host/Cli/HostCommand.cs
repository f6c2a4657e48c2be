using System.Runtime.InteropServices;
using Actors.Config;
using Host.Hosting;
using Microsoft.Extensions.Logging;
using HoconConfig = Actors.Config.Config;

namespace Host.Cli;

/// <summary>
/// The host process: loads the layered HOCON configuration, starts the actor system and runs
/// until stopped (Ctrl+C or SIGTERM). The storage daemon's front ends build on this.
/// </summary>
public static class HostCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        HostOptions options;
        HoconConfig config;
        try
        {
            options = HostOptions.Parse(args);
            if (options.ShowHelp)
            {
                await output.WriteLineAsync(HostOptions.Usage);
                return 0;
            }
            config = LoadConfig(options);
        }
        catch (Exception e) when (e is ArgumentException or ConfigException)
        {
            await error.WriteLineAsync($"actors-host: {e.Message}");
            return 1;
        }

        await output.WriteLineAsync(config.Render());
        if (options.PrintConfigOnly)
        {
            return 0;
        }

        using var loggerFactory = LoggerFactory.Create(builder => builder.AddSimpleConsole(o => o.SingleLine = true));
        var hostSettings = config.GetConfig("host");
        var runDefaults = options.Daemon.IsEmpty;
        if (runDefaults)
        {
            options = options with { Daemon = DefaultDaemon(hostSettings.GetConfig("defaults")) };
        }
        Nbd.NbdServerControl? nbd = null;
        var monitors = new List<Qmp.QmpServer>();
        StorageHost host;
        try
        {
            host = await StorageHost.StartAsync(config, new StorageHostOptions(
                hostSettings.GetString("data-dir"),
                hostSettings.GetString("images-dir"),
                [.. hostSettings.GetStringList("iothreads").Union(options.Daemon.IoThreads)]), loggerFactory);
            if (runDefaults)
            {
                CreateScratchImage(host, hostSettings.GetConfig("defaults"));
            }
            await DaemonPlan.RunAsync(host, options.Daemon);
            nbd = new Nbd.NbdServerControl(host.Runtime, loggerFactory.CreateLogger("Host.Nbd"));
            if (options.Daemon.NbdServer is { } address)
            {
                await nbd.StartAsync(address.Type == "unix" ? new Qmp.NbdServerAddress.Unix(address.HostOrPath) : new Qmp.NbdServerAddress.Inet(address.HostOrPath, $"{address.Port}"), CancellationToken.None);
                var uri = address.Type == "unix" ? $"nbd+unix:///EXPORT?socket={address.HostOrPath}" : $"nbd://{address.HostOrPath}:{address.Port}/EXPORT";
                var first = options.Daemon.Exports.FirstOrDefault()?.Name ?? "EXPORT";
                await output.WriteLineAsync($"NBD server on {address}; try: nbdinfo --list '{uri.Replace("EXPORT", "")}' or qemu-io -f raw -c 'read 0 4k' '{uri.Replace("EXPORT", first)}'");
            }
            foreach (var chardev in options.Daemon.Monitors.Select(id => options.Daemon.Chardevs[id]))
            {
                var monitor = new Qmp.QmpServer(host, nbd);
                await monitor.StartAsync(chardev.ToEndPoint());
                monitors.Add(monitor);
                await output.WriteLineAsync($"QMP monitor on {chardev}{(chardev.Type == "inet" ? $"; try: echo '{{\"execute\":\"qmp_capabilities\"}}' | nc {chardev.HostOrPath} {chardev.Port}" : "")}");
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            await error.WriteLineAsync($"actors-host: {e.Message}");
            return 1;
        }
        await output.WriteLineAsync($"Host {host.Runtime.Host} is up. Press Ctrl+C to stop.");
        // Not disposed: the Ctrl+C handler may still fire after this method returned.
        var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        // SIGTERM (systemd, kill) stops the host the way Ctrl+C does: monitors and NBD close first.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        // Runs until Ctrl+C, SIGTERM or a QMP quit.
        await Task.WhenAny([Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default), .. monitors.Select(m => m.WhenQuitRequested)]);
        await output.WriteLineAsync("Stopping.");
        foreach (var monitor in monitors)
        {
            await monitor.StopAsync();
        }
        await nbd.DisposeAsync();
        await host.DisposeAsync();
        return 0;
    }

    /// <summary>
    /// The daemon a host runs without options: the scratch image as raw over file, exported
    /// writable as <c>scratch</c> over NBD on loopback, and a QMP monitor on loopback.
    /// </summary>
    private static DaemonOptions DefaultDaemon(HoconConfig defaults)
    {
        var image = defaults.GetString("scratch-image");
        return new DaemonOptions()
            .With("--blockdev", $"driver=file,node-name=scratch-file,filename={image}")
            .With("--blockdev", "driver=raw,node-name=scratch,file=scratch-file")
            .With("--nbd-server", $"addr.type=inet,addr.host=127.0.0.1,addr.port={defaults.GetInt("nbd-port")}")
            .With("--export", "type=nbd,id=scratch,node-name=scratch,name=scratch,writable=on")
            .With("--chardev", $"socket,id=qmp,host=127.0.0.1,port={defaults.GetInt("qmp-port")},server=on,wait=off")
            .With("--monitor", "chardev=qmp");
    }

    private static void CreateScratchImage(StorageHost host, HoconConfig defaults)
    {
        var image = defaults.GetString("scratch-image");
        if (!File.Exists(Path.Combine(host.Options.ImagesDir, image)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(host.Options.ImagesDir, image))!);
            host.Disk.Create(image, defaults.GetBytes("scratch-size"));
        }
    }

    /// <summary>--set over CONFIG_FORCE_ environment variables over --config files (later first) over reference.conf.</summary>
    public static HoconConfig LoadConfig(HostOptions options)
    {
        var assignments = options.DataDir is null ? options.Assignments : [.. options.Assignments, $"host.data-dir = \"{options.DataDir.Replace("\\", "\\\\").Replace("\"", "\\\"")}\""];
        var config = ConfigFactory.FromAssignments(assignments).WithFallback(ConfigFactory.FromEnvironment());
        foreach (var file in options.ConfigFiles.Reverse())
        {
            config = config.WithFallback(ConfigFactory.ParseFile(file));
        }
        return config.WithFallback(ConfigFactory.Reference()).Resolve();
    }
}
