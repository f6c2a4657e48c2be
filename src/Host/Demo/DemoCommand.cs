using System.Globalization;
using Actors.GraphLock;
using Host.Demo.Cluster;
using Spectre.Console;

namespace Host.Demo;

/// <summary>
/// <c>demo</c>: a scripted, self-checking run of the whole host (see <see cref="DemoScenario"/>),
/// or with <c>--hosts N</c> of a cluster of host processes (see <see cref="ClusterDemoScenario"/>),
/// with a progress display that falls back to plain lines when the output is not a terminal.
/// Exit code 0 when every check held, 1 with a line saying what was off.
/// </summary>
public static class DemoCommand
{
    /// <summary>
    /// The console for the demo's output: Spectre's detection, except that output which is not a
    /// terminal gets neither colour codes nor the 80 columns Spectre assumes there (a data dir
    /// path would wrap).
    /// </summary>
    public static IAnsiConsole CreateConsole()
    {
        if (!Console.IsOutputRedirected)
        {
            return AnsiConsole.Console;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        return console;
    }

    public static Task<int> RunAsync(IReadOnlyList<string> args, IAnsiConsole console, TextWriter error) =>
        RunAsync(args, console, error, DemoHooks.None);

    /// <summary>As <see cref="RunAsync(IReadOnlyList{string}, IAnsiConsole, TextWriter)"/>, with the test seam <paramref name="hooks"/>.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IAnsiConsole console, TextWriter error, DemoHooks hooks)
    {
        DemoOptions options;
        try
        {
            options = DemoOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"demo: {e.Message}");
            return 1;
        }
        if (options.ShowHelp)
        {
            console.WriteLine(DemoOptions.Usage);
            return 0;
        }
        DemoReport report;
        try
        {
            report = options.Hosts is null
                ? await new DemoScenario(options, console, hooks).RunAsync()
                : await new ClusterDemoScenario(options, console).RunAsync();
        }
        catch (DemoSetupException e)
        {
            await error.WriteLineAsync($"demo: {e.Message}");
            return 1;
        }
        console.Write(Table(report));
        if (report.Failure is { } failure)
        {
            await error.WriteLineAsync($"demo: FAILED: {failure}");
            return 1;
        }
        console.MarkupLine("[green]demo: all checks passed[/]");
        return 0;
    }

    private static Table Table(DemoReport report)
    {
        var table = new Table().AddColumn("demo").AddColumn(new TableColumn("result").RightAligned());
        void Row(string what, string value) => table.AddRow(Markup.Escape(what), Markup.Escape(value));
        string Number(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);
        string Wait(LatencySummary wait) => $"{Number(wait.P50Micros)} / {Number(wait.P99Micros)} / {Number(wait.MaxMicros)} µs";

        var options = report.Options;
        var cluster = report.Cluster;
        Row("seed", Number(options.Seed, "0"));
        if (cluster is null)
        {
            Row("image, connections x depth, IoThreads", $"{options.Size >> 20} MiB, {options.Connections} x {options.Depth}, {options.IoThreads}");
        }
        else
        {
            Row("hosts", $"{cluster.Hosts} on loopback; I/O on {string.Join(", ", cluster.IoHosts)}; {cluster.KilledHost} killed");
            Row("images, connections x depth, IoThreads", $"{cluster.IoHosts.Length} x {options.Size >> 20} MiB, {options.Connections} x {options.Depth} per image, {options.IoThreads} per host");
        }
        Row("requests (reads / writes / flushes)", $"{Number(report.Requests)} ({Number(report.Reads)} / {Number(report.Writes)} / {Number(report.Flushes)})");
        Row("elapsed", $"{report.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        Row("IOPS", Number(report.Iops));
        Row("MiB/s", Number(report.MibPerSecond, "N1"));
        Row("graph changes done", $"{report.GraphChanges} of {report.GraphChangesPlanned}");
        if (cluster is null)
        {
            Row("write sections", Number(report.WriteSections));
            Row("write wait p50 / p99 / max", report.WriteWait is { } wait ? Wait(wait) : "-");
            if (report.WritePhases is { } phases)
            {
                Row("  queued (behind other writers)", Wait(phases.Queued));
                Row("  stop (BeginWrite, all reported)", Wait(phases.Stop));
                Row("  drain (until no reader is inside)", Wait(phases.Drain));
                Row("  section (the change and its journal)", Wait(phases.Section));
                Row("  unlock (parked readers resumed)", Wait(phases.Unlock));
                Row("  deferred (pending unrefs)", Wait(phases.Deferred));
                Row("slowest drain waited for", phases.SlowestDrain is { LastReader: { } reader } slowest
                    ? $"{reader} for {Number(slowest.DrainMicros)} µs"
                    : "-");
            }
            Row("readers parked", Number(report.ReadersParked));
            Row("deferred unrefs run (failed)", $"{Number(report.DeferredUnrefsRun)} ({Number(report.DeferredUnrefsFailed)})");
        }
        else
        {
            var (killed, next) = (cluster.KilledHost, cluster.NextHost);
            Row("failover time", cluster.FailoverTime is { } failover
                ? $"{failover.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s (kill -9 of {killed} to the next graph change done)"
                : "-");
            Row("I/O during the failover", cluster.RequestsDuringFailover.IsEmpty
                ? "-"
                : $"{string.Join(", ", cluster.RequestsDuringFailover.Select(r => $"{r.Key}: {Number(r.Value)}"))} requests");
            Row("write sections", $"{Number(cluster.BeforeKill?.WriteSections ?? 0)} on {killed} until the kill + {Number(cluster.AfterKill?.WriteSections ?? 0)} on {next}");
            Row("write wait p50 / p99 / max", $"{killed}: {(cluster.BeforeKill is { } before ? Wait(before.WriteWait) : "-")}; {next}: {(cluster.AfterKill is { } after ? Wait(after.WriteWait) : "-")}");
            Row("deferred unrefs (scheduled / closed exactly once)", $"{cluster.UnrefsScheduled} / {cluster.UnrefsClosedOnce}");
        }
        Row("blocks written / verified", $"{Number(report.BlocksWritten)} / {Number(report.BlocksVerified)}");
        table.AddRow(new Markup("checks"), report.Passed ? new Markup("[green]passed[/]") : new Markup("[red]FAILED[/]"));
        return table;
    }
}
