using System.Text.Json;
using Actors.Config;
using Host.Cluster;
using Host.Hosting;
using HoconConfig = Actors.Config.Config;

namespace Host.Cli;

/// <summary>
/// The host's command line: parses the options, loads the layered HOCON configuration, prints
/// it, and hands both to <see cref="HostProcess"/>, which runs the host until it is stopped; a
/// bad option or a refused one is one line naming it, and exit code 1.
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

        await output.WriteLineAsync(config.RenderRedacted());
        if (options.PrintConfigOnly)
        {
            return 0;
        }

        HostProcess process;
        try
        {
            process = await HostProcess.StartAsync(config, options.Daemon, output);
        }
        catch (Exception e) when (ClusterConfig.DescribeBindFailure(config, e) is { } line)
        {
            await error.WriteLineAsync($"actors-host: {line}");
            return 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ConfigException or System.Net.Sockets.SocketException)
        {
            await error.WriteLineAsync($"actors-host: {e.Message}");
            return 1;
        }
        string? stoppedOnItsOwn;
        await using (process)
        {
            await output.WriteLineAsync($"Host {process.Host.Runtime.Host} is up. Press Ctrl+C to stop.");
            stoppedOnItsOwn = await process.WaitForStopAsync();
            await output.WriteLineAsync("Stopping.");
        }
        if (stoppedOnItsOwn is not null)
        {
            await error.WriteLineAsync($"actors-host: {stoppedOnItsOwn}");
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// --set (then --data-dir, --cluster-port and --join) over CONFIG_FORCE_ environment variables
    /// over --config files (later first) over reference.conf, with the cluster settings mapped onto
    /// Akka's keys (<see cref="ClusterConfig.Apply"/>).
    /// </summary>
    public static HoconConfig LoadConfig(HostOptions options)
    {
        var assignments = options.Assignments.ToList();
        if (options.DataDir is not null)
        {
            assignments.Add($"host.data-dir = {JsonSerializer.Serialize(options.DataDir)}");
        }
        if (options.ClusterPort is { } port)
        {
            assignments.Add($"actors.cluster.port = {port}");
        }
        if (options.Join.Count > 0)
        {
            assignments.Add($"actors.cluster.join = {JsonSerializer.Serialize(options.Join.Select(s => s.ToString()))}");
        }
        var config = ConfigFactory.FromAssignments(assignments).WithFallback(ConfigFactory.FromEnvironment());
        foreach (var file in options.ConfigFiles.Reverse())
        {
            config = config.WithFallback(ConfigFactory.ParseFile(file));
        }
        return ClusterConfig.Apply(config.WithFallback(ConfigFactory.Reference()).Resolve());
    }
}
