using Spectre.Console;

namespace Host.Demo;

/// <summary>How the demos run I/O beside a graph script and show it as plain lines (CI, a pipe, the cluster demo).</summary>
internal static class DemoProgress
{
    /// <summary>
    /// Prints a line per step of <paramref name="script"/> done and per quarter of the I/O
    /// (<paramref name="progress"/>, 0 to 1, with the <paramref name="completed"/> requests) until
    /// <paramref name="running"/> ends.
    /// </summary>
    public static Task ShowLinesAsync(IAnsiConsole console, Task running, GraphScript script, Func<double> progress, Func<long> completed)
    {
        var stepsShown = 0;
        var quartersShown = 0;
        return WatchAsync(running, () =>
        {
            for (; stepsShown < script.StepsDone; stepsShown++)
            {
                console.WriteLine($"  done: {script.Steps[stepsShown]}");
            }
            for (; quartersShown < (int)(progress() * 4); quartersShown++)
            {
                console.WriteLine($"  I/O {(quartersShown + 1) * 25}%: {completed()} requests");
            }
        });
    }

    /// <summary>Calls <paramref name="update"/> every 100 ms while <paramref name="running"/> runs, and once when it ended.</summary>
    public static async Task WatchAsync(Task running, Action update)
    {
        while (!running.IsCompleted)
        {
            update();
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromMilliseconds(100)));
        }
        update();
    }

    /// <summary>Awaits <paramref name="task"/>; when it fails, cancels <paramref name="stop"/> so the work beside it ends too.</summary>
    public static async Task StopOthersOnFailure(Task task, CancellationTokenSource stop)
    {
        try
        {
            await task;
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }
}
