using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Xunit.Sdk;

namespace Actors.Tests.GraphLock;

/// <summary>Randomized schedules on manual loops, replayable by seed (GRAPHLOCK_SEED).</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ randomized schedules

    /// <summary>
    /// Random schedules of lock, unlock (often on another IoThread), register, unregister, write
    /// (with deferred actions, some taking the write lock themselves) and single steps of every
    /// party, all on manual loops, so a seed replays exactly (GRAPHLOCK_SEED=n, or a range a-b).
    /// Checked: no write section while a reader holds the lock (monitor, and each write body
    /// against the model), every parked reader runs, every write completes, every deferred
    /// action runs exactly once, and a last write gets in (the balances add up to zero).
    /// </summary>
    [Fact]
    public void Random_schedules_keep_the_lock_safe_and_let_every_reader_writer_and_deferred_action_run()
    {
        foreach (var seed in Seeds())
        {
            try
            {
                var summary = RunSchedule(seed);
                _output.WriteLine($"seed {seed}: {summary}");
            }
            catch (Exception e)
            {
                throw new XunitException($"Schedule with seed {seed} failed (replay: GRAPHLOCK_SEED={seed}): {e}");
            }
        }
    }

    private static IEnumerable<int> Seeds()
    {
        var spec = Environment.GetEnvironmentVariable("GRAPHLOCK_SEED");
        if (string.IsNullOrWhiteSpace(spec))
        {
            return Enumerable.Range(1, 50);
        }
        var range = spec.Split('-', 2, StringSplitOptions.TrimEntries);
        var from = int.Parse(range[0]);
        var to = range.Length == 2 ? int.Parse(range[1]) : from;
        return Enumerable.Range(from, to - from + 1);
    }

    private string RunSchedule(int seed)
    {
        var random = new Random(seed);
        using var h = new GraphLockHarness(this, manualCoordinator: true, system: ActorSystem.Create("schedule-" + seed, DefaultConfig));
        var live = new List<IoThreadHandle>();
        var readers = new List<Reader>();
        var writers = new List<Writer>();
        var held = new List<Writer>();
        var deferredRuns = new Dictionary<string, int>();
        var failures = new List<string>();
        int ioIds = 0, readerIds = 0, writeIds = 0, stops = 0, nestedPending = 0, parked = 0, heldTotal = 0;

        // IoThreads register with the Coordinator or with one of up to two host aggregators.
        var hosts = Enumerable.Range(0, random.Next(3)).Select(i => h.StartHost("h" + i)).ToList();
        var registries = hosts.Select(host => host.Ref).Prepend(h.Coordinator).ToList();

        void StartIoThread() =>
            live.Add(h.StartIoThread("io" + ioIds++, registry: registries[random.Next(registries.Count)], awaitRegistered: false));

        // Every party of the lock, each on its manual loop.
        List<EventLoop> Parties() => [.. live.Select(io => io.Loop), .. hosts.Select(host => host.Loop), h.CoordinatorLoop!];

        IoThreadHandle Pick() => live[random.Next(live.Count)];

        void CheckNoReaders(string where)
        {
            var holding = readers.Where(r => r.Holds).Select(r => r.Name).ToList();
            if (holding.Count > 0)
            {
                failures.Add($"{where} runs while {string.Join(", ", holding)} hold the read lock");
            }
        }

        Func<WriteScope, Task> Body(string name, int depth) => async section =>
        {
            CheckNoReaders(name);
            for (var d = random.Next(3); d > 0; d--)
            {
                var id = $"{name}.d{d}";
                var nested = depth < 2 && random.Next(4) == 0;
                deferredRuns[id] = 0;
                section.Defer(id, async deferred =>
                {
                    deferredRuns[id]++;
                    if (nested)
                    {
                        nestedPending++;
                        await deferred.WriteAsync(id + ".w", Body(id + ".w", depth + 1));
                        nestedPending--;
                    }
                });
            }
            for (var turns = random.Next(3); turns > 0; turns--)
            {
                await Task.Yield();
                CheckNoReaders(name);
            }
        };

        for (var i = random.Next(1, 4); i > 0; i--)
        {
            StartIoThread();
        }
        for (var op = 0; op < 300; op++)
        {
            var roll = random.Next(100);
            if (roll < 22)
            {
                var reader = h.Lock(Pick(), "r" + readerIds++);
                readers.Add(reader);
                parked += reader.IsParked ? 1 : 0;
            }
            else if (roll < 40)
            {
                var inside = readers.Where(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased).ToList();
                if (inside.Count > 0)
                {
                    var reader = inside[random.Next(inside.Count)];
                    var stays = live.Contains(reader.LockedOn) && random.Next(10) < 6;
                    h.Unlock(reader, stays ? reader.LockedOn : Pick());
                }
            }
            else if (roll < 75)
            {
                var loops = Parties();
                h.Step([loops[random.Next(loops.Count)]]);
            }
            else if (roll < 82)
            {
                // A held write stays in its section across other messages until a later step releases it.
                var name = "W" + writeIds++;
                var hold = random.Next(4) == 0;
                var writer = h.RequestWrite(name, Body(name, depth: 0), hold);
                writers.Add(writer);
                if (hold)
                {
                    held.Add(writer);
                    heldTotal++;
                }
            }
            else if (roll < 86)
            {
                if (held.Count > 0)
                {
                    var writer = held[random.Next(held.Count)];
                    held.Remove(writer);
                    writer.Release();
                }
            }
            else if (roll < 90)
            {
                if (live.Count < 5)
                {
                    StartIoThread();
                }
            }
            else if (roll < 94)
            {
                // Only an IoThread whose nodes moved away stops: none of its readers still waits there.
                var candidates = live.Where(io => !readers.Any(r => r.LockedOn == io && !r.Entered.IsCompleted)).ToList();
                if (live.Count > 1 && candidates.Count > 0)
                {
                    var io = candidates[random.Next(candidates.Count)];
                    live.Remove(io);
                    io.Ref.Tell(StopIoThread.Instance);
                    h.StepUntilTerminated(io.Ref, $"{io} stopped", [io.Loop]);
                    stops++;
                }
            }
            else
            {
                StepAllInRandomOrder();
            }
        }

        // Drain: held writes finish, every reader leaves (on a random IoThread), parked ones once they got in.
        held.ForEach(w => w.Release());
        for (var round = 0; ; round++)
        {
            foreach (var reader in readers.Where(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased).ToList())
            {
                h.Unlock(reader, Pick());
            }
            var progress = StepAllInRandomOrder();
            if (writers.All(w => w.Completed.IsCompleted) && readers.All(r => r.IsReleased) && nestedPending == 0 && deferredRuns.Values.All(n => n > 0))
            {
                break;
            }
            if (!progress && !readers.Any(r => r.Entered.IsCompletedSuccessfully && !r.IsReleased))
            {
                var status = h.Status();
                throw new XunitException(
                    $"Stuck: nothing left to run, yet {writers.Count(w => !w.Completed.IsCompleted)} writes wait, " +
                    $"{readers.Count(r => !r.Entered.IsCompleted)} readers are parked and {nestedPending} nested writes wait. " +
                    $"Inside: {string.Join(", ", writers.Where(w => w.Entered.IsCompleted && !w.Completed.IsCompleted))}. " +
                    $"Writers: {string.Join(", ", writers.Select(w => $"{w}:{w.Entered.Status}/{w.Completed.Status}/{w.Hold}"))}. " +
                    $"Coordinator: writer active {status.WriterActive}, in write section {status.InWriteSection}, epoch {status.Epoch}, " +
                    $"queued {status.QueuedWriters}, orphaned {status.Orphaned}, contexts {string.Join(", ", status.Contexts)}.");
            }
            if (round > 100_000)
            {
                throw new XunitException("The schedule did not drain within 100000 rounds.");
            }
        }
        h.StepUntilIdle();

        Assert.Empty(failures);
        h.AssertNoViolations();
        Assert.All(writers, w => Assert.IsType<WriteCompleted>(w.Completed.Result));
        Assert.All(deferredRuns, run => Assert.True(run.Value == 1, $"deferred action {run.Key} ran {run.Value} times"));
        var last = h.RequestWrite("last");
        h.Await(last.Completed, "a last write got in: the balances add up to zero");
        var final = h.Status();
        Assert.Equal(deferredRuns.Count, final.DeferredActionsRun);
        Assert.Equal(0, final.DeferredActionsFailed);
        Assert.Equal(0, final.Orphaned + final.Contexts.Sum(c => c.Readers));
        return $"{readers.Count} readers ({parked} parked, {readers.Count(r => r.LockedOn != r.UnlockedOn)} migrated), " +
            $"{writers.Count} writes (+{final.WritesDone - writers.Count - 1} nested, {heldTotal} held), {deferredRuns.Count} deferred, " +
            $"{ioIds} IoThreads ({stops} stopped) under {hosts.Count} hosts, orphaned {final.Orphaned}";

        bool StepAllInRandomOrder()
        {
            var loops = Parties().OrderBy(_ => random.Next()).ToList();
            var progress = false;
            foreach (var loop in loops)
            {
                progress |= h.Step([loop]);
            }
            return progress;
        }
    }
}
