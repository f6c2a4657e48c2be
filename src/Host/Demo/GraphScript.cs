using System.Collections.Immutable;
using Akka.Actor;
using Actors.GraphLock;
using Host.Hosting;
using Nodes.Commands;

namespace Host.Demo;

/// <summary>
/// Graph changes made while I/O runs, each a Coordinator write section that drains the I/O in
/// flight. Step i of n starts once the I/O used (i + 1) / (n + 1) of its budget, so every change
/// lands in the middle of running I/O.
/// </summary>
public sealed class GraphScript(IEnumerable<GraphStep> steps)
{
    private readonly GraphStep[] _steps = [.. steps];
    private int _stepsDone;
    private int _changesDone;

    /// <summary>
    /// The single-host demo's changes, each sent to the host's graph owner as QMP would send it:
    /// <code>
    ///   export 'disk' ─→ disk (raw) ─file→ disk-file (file: disk.raw)      on the first IoThread
    ///   1. insert throttle0 above disk        export ─→ throttle0 ─file→ disk ─file→ disk-file
    ///   2. move disk (and all attached) to the last IoThread
    ///   3. remove throttle0                   its close is a deferred unref
    ///   4. add spare-file (file: spare.raw)
    ///   5. delete spare-file and at once add it again: the add opens spare.raw only after the
    ///      deferred close of the deleted node (the disk backend refuses a second open)
    ///   6. move disk back to the first IoThread
    ///   7. delete spare-file
    /// </code>
    /// </summary>
    /// <param name="host">The host whose graph changes.</param>
    /// <param name="firstIoThread">Where the nodes start and return to.</param>
    /// <param name="lastIoThread">Where the export's node moves meanwhile.</param>
    public static GraphScript ForHost(StorageHost host, string firstIoThread, string lastIoThread)
    {
        Task ChangeAsync(IGraphCommand command) => host.Graph.Ask<WriteCompleted>(command, DemoGraph.Timeout);
        AddNode AddSpare() =>
            new(DemoGraph.Spare, "file", Options(("filename", DemoGraph.SpareImage)), host.Runtime.Host, firstIoThread, ImmutableSortedDictionary<string, string>.Empty);

        // Both commands are sent before either completes, in order, so the add queues right behind
        // the delete: it succeeds only because the deleted node's deferred close runs before queued
        // writes; run the other way round the disk backend would refuse to open spare.raw twice.
        async Task DeleteAndReAddAsync()
        {
            var delete = ChangeAsync(new DeleteNode(DemoGraph.Spare));
            var add = ChangeAsync(AddSpare());
            await delete;
            await add;
        }

        return new GraphScript(
        [
            new($"insert throttle filter 'throttle0' above '{DemoGraph.Disk}'", 1, () => ChangeAsync(new InsertFilter("throttle0", "throttle", Options(("iops-total", "5000")), DemoGraph.Disk))),
            new($"move '{DemoGraph.Disk}' and the nodes attached to it to {lastIoThread}", 1, () => ChangeAsync(new MoveNode(DemoGraph.Disk, lastIoThread))),
            new("remove throttle filter 'throttle0' (deferred close)", 1, () => ChangeAsync(new RemoveFilter("throttle0"))),
            new($"add '{DemoGraph.Spare}' on {DemoGraph.SpareImage}", 1, () => ChangeAsync(AddSpare())),
            new($"delete '{DemoGraph.Spare}' and at once re-add it (the re-open waits for the deferred close)", 2, DeleteAndReAddAsync),
            new($"move '{DemoGraph.Disk}' back to {firstIoThread}", 1, () => ChangeAsync(new MoveNode(DemoGraph.Disk, firstIoThread))),
            new($"delete '{DemoGraph.Spare}' (deferred close)", 1, () => ChangeAsync(new DeleteNode(DemoGraph.Spare))),
        ]);
    }

    /// <summary>The steps, in order, as the progress display names them.</summary>
    public IReadOnlyList<string> Steps => [.. _steps.Select(s => s.Name)];

    /// <summary>Graph commands the steps send.</summary>
    public int Changes => _steps.Sum(s => s.Changes);

    /// <summary>Steps completed so far.</summary>
    public int StepsDone => Volatile.Read(ref _stepsDone);

    /// <summary>Graph commands completed so far (a step may send more than one).</summary>
    public int ChangesDone => Volatile.Read(ref _changesDone);

    /// <summary>
    /// Runs the steps in order, each once <paramref name="progress"/> (0 to 1) reached its share.
    /// A failed change throws a <see cref="DemoCheckException"/> naming the step.
    /// </summary>
    public async Task RunAsync(Func<double> progress, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _steps.Length; i++)
        {
            var startAt = (i + 1.0) / (_steps.Length + 1);
            while (progress() < startAt)
            {
                // The I/O's progress has no event to wait on; a short poll is precise enough to pace the steps.
                await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
            }
            try
            {
                await _steps[i].Run();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new DemoCheckException($"graph change '{_steps[i].Name}' failed: {e.Message}", e);
            }
            Interlocked.Add(ref _changesDone, _steps[i].Changes);
            Interlocked.Increment(ref _stepsDone);
        }
    }

    private static ImmutableSortedDictionary<string, string> Options(params (string Key, string Value)[] options) =>
        options.ToImmutableSortedDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
}
