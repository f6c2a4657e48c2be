using System.Diagnostics;
using Actors.Core;
using Actors.Persistence;
using Actors.Serialization;
using PersistenceExtension = Actors.Persistence.Persistence;

namespace Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/Benchmarks -- replay</c>: writes 100 000 events of
/// one stream to a fresh SQLite journal, then measures how long a <see cref="PersistentActor"/>
/// takes from creation to <see cref="RecoveryCompleted"/> replaying them, without a snapshot
/// and with one. The target (from the issue) is under 1 s for the full replay.
/// Not a unit test: a figure to read, printed, never asserted.
/// </summary>
public static class JournalReplay
{
    private const int Events = 100_000;
    private const int WriteBatch = 1_000;
    private const int Runs = 5;
    private const string Id = "bench-graph";
    private static readonly TimeSpan Target = TimeSpan.FromSeconds(1);

    public static void Run() => RunAsync().GetAwaiter().GetResult();

    private static async Task RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("actors-replay-").FullName;
        var path = Path.Combine(directory, "journal.db");
        var system = ActorSystem.Create("replay");
        var journal = new SqliteJournal(path);
        var snapshots = new SqliteSnapshotStore(path);
        try
        {
            PersistenceExtension.Register(system, journal, snapshots);
            Console.WriteLine($"Journal replay: SQLite (WAL, synchronous=FULL), one stream of {Events:N0} events, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

            var written = await WriteAsync(journal, system.Serialization);
            Console.WriteLine($"  write    {Events:N0} events in batches of {WriteBatch:N0}: {Ms(written)} ({Events / written.TotalSeconds:N0} events/s), file {new FileInfo(path).Length / 1e6:N1} MB");

            await BreakdownAsync(journal, system.Serialization);
            var full = await RecoverRunsAsync(system, "no snapshot", expectedReplayed: Events);

            await SaveSnapshotAsync(snapshots, system.Serialization, Events - 1_000);
            await RecoverRunsAsync(system, "snapshot at 99,000 + 1,000 events", expectedReplayed: 1_000);

            await SaveSnapshotAsync(snapshots, system.Serialization, Events);
            await RecoverRunsAsync(system, "snapshot at 100,000, no events", expectedReplayed: 0);

            Console.WriteLine($"  target   full replay under {Ms(Target)}: {(full < Target ? "met" : "NOT met")} (best {Ms(full)})");
        }
        finally
        {
            await system.Terminate();
            await journal.DisposeAsync();
            await snapshots.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<TimeSpan> WriteAsync(IJournal journal, SerializerRegistry serialization)
    {
        var id = new PersistenceId(Id);
        var clock = Stopwatch.StartNew();
        var batch = new JournalWrite[WriteBatch];
        for (var first = 1; first <= Events; first += WriteBatch)
        {
            for (var i = 0; i < WriteBatch; i++)
            {
                var sequenceNr = first + i;
                var serialized = serialization.Serialize(ChildAttached.For(sequenceNr));
                batch[i] = new JournalWrite(sequenceNr, serialized.Manifest, serialized.Payload);
            }
            await journal.AppendAsync(id, batch);
        }
        return clock.Elapsed;
    }

    /// <summary>Where a full replay's time goes: reading the rows, then also deserializing them (best of <see cref="Runs"/>).</summary>
    private static async Task BreakdownAsync(IJournal journal, SerializerRegistry serialization)
    {
        var id = new PersistenceId(Id);
        var read = TimeSpan.MaxValue;
        var readAndDeserialize = TimeSpan.MaxValue;
        for (var run = 0; run < Runs; run++)
        {
            var clock = Stopwatch.StartNew();
            var count = 0;
            await foreach (var entry in journal.ReplayAsync(id, 1, long.MaxValue))
            {
                count += entry.Payload.Length > 0 ? 1 : 0;
            }
            read = Min(read, clock.Elapsed);
            clock.Restart();
            await foreach (var entry in journal.ReplayAsync(id, 1, long.MaxValue))
            {
                count += serialization.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload)) is ChildAttached ? 1 : 0;
            }
            readAndDeserialize = Min(readAndDeserialize, clock.Elapsed);
            if (count != 2 * Events)
            {
                throw new InvalidOperationException($"Read {count} events; expected {2 * Events}.");
            }
        }
        Console.WriteLine($"  read     rows only: best {Ms(read)}; rows + deserialize: best {Ms(readAndDeserialize)}");

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    private static async Task SaveSnapshotAsync(ISnapshotStore snapshots, SerializerRegistry serialization, long sequenceNr)
    {
        var state = new GraphState(Nodes: sequenceNr, Slots: Enumerable.Range(1, (int)sequenceNr).Sum(n => (long)(n % 4)));
        var serialized = serialization.Serialize(state);
        await snapshots.SaveAsync(new SnapshotEntry(new PersistenceId(Id), sequenceNr, DateTime.UtcNow, serialized.Manifest, serialized.Payload));
    }

    /// <summary>Recovers a fresh actor <see cref="Runs"/> times (the first one warms up the JIT); returns the best time.</summary>
    private static async Task<TimeSpan> RecoverRunsAsync(ActorSystem system, string label, int expectedReplayed)
    {
        var times = new List<TimeSpan>();
        var cpu = new List<TimeSpan>();
        using var process = Process.GetCurrentProcess();
        for (var run = 0; run < Runs; run++)
        {
            var done = new TaskCompletionSource<Replayed>(TaskCreationOptions.RunContinuationsAsynchronously);
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var actor = system.ActorOf(Props.Create(() => new GraphActor(done)));
            var replayed = await done.Task;
            times.Add(clock.Elapsed);
            process.Refresh();
            cpu.Add(process.TotalProcessorTime - cpuBefore);
            system.Stop(actor);
            if (replayed.Events != expectedReplayed || replayed.LastSequenceNr != Events || replayed.Nodes != Events)
            {
                throw new InvalidOperationException($"Recovery '{label}' replayed {replayed.Events} events up to {replayed.LastSequenceNr} ({replayed.Nodes} nodes); expected {expectedReplayed} up to {Events}.");
            }
        }
        var best = times.Min();
        // CPU time (all threads of the process) says what recovery costs when the machine is busy
        // with other work and wall-clock figures wander.
        Console.WriteLine($"  recover  {label}: {string.Join(", ", times.Select(Ms))} -> best {Ms(best)}" +
            (expectedReplayed > 0 ? $" ({expectedReplayed / best.TotalSeconds:N0} events/s)" : "") +
            $"; CPU per run: best {Ms(cpu.Min())}");
        return best;
    }

    private static string Ms(TimeSpan time) => $"{time.TotalMilliseconds:N0} ms";

    /// <summary>A graph-shaped event: the kind the coordinator journals.</summary>
    [Manifest("bench.child-attached.v1")]
    private sealed record ChildAttached(string Parent, string Child, string Role, int Slot)
    {
        public static ChildAttached For(long sequenceNr) => new($"node{sequenceNr / 4}", $"node{sequenceNr}", "file", (int)(sequenceNr % 4));
    }

    [Manifest("bench.graph-state.v1")]
    private sealed record GraphState(long Nodes, long Slots);

    private sealed record Replayed(long Events, long LastSequenceNr, long Nodes);

    /// <summary>Folds the events into counters, as a coordinator folds them into its graph.</summary>
    private sealed class GraphActor : PersistentActor
    {
        private long _nodes;
        private long _slots;
        private long _events;

        public GraphActor(TaskCompletionSource<Replayed> done)
        {
            Recover<SnapshotOffer>(offer =>
            {
                var state = (GraphState)offer.Snapshot;
                _nodes = state.Nodes;
                _slots = state.Slots;
            });
            Recover<ChildAttached>(attached =>
            {
                _nodes++;
                _slots += attached.Slot;
                _events++;
            });
            Recover<RecoveryCompleted>(_ => done.TrySetResult(new Replayed(_events, LastSequenceNr, _nodes)));
        }

        public override string PersistenceId => Id;
    }
}
