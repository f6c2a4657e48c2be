using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;

namespace Actors.Tests.GraphLock;

/// <summary>Read side (DESIGN §4, read steps 1–4): the fast path, parking, and the drain under load.</summary>
public sealed partial class GraphLockScenarios
{
    // ================================================================ read side

    /// <summary>
    /// Read step 1: the fast path is a local increment and a flag check. With a probe standing in
    /// for the Coordinator, a hundred lock/unlock pairs send it nothing; the same unlock while a
    /// writer is active is reported (so the probe would have seen a message had there been one).
    /// </summary>
    [Fact]
    public void A_read_on_the_fast_path_sends_nothing_to_the_coordinator()
    {
        using var h = new GraphLockHarness(this);
        var registry = CreateTestProbe("registry");
        var io = h.StartIoThread("io0", registry: registry.Ref, awaitRegistered: false);
        var register = registry.ExpectMsg<RegisterContext>();
        register.Ref.Tell(new ContextRegistered("io0", Epoch: 0, WriterActive: false), registry.Ref);
        h.StepUntil(() => !h.IoStatus(io).WriterActive, "io0 took its registration");

        for (var i = 0; i < 100; i++)
        {
            var reader = h.Lock(io, "r" + i);
            Assert.True(reader.Entered.IsCompletedSuccessfully, "the fast path grants the lock at once");
            h.Unlock(reader);
        }
        h.StepUntilIdle();
        // io0 runs only when this thread steps it, so whatever it sent is already queued.
        registry.ExpectNoMsg(TimeSpan.Zero);

        var held = h.Lock(io, "held");
        io.Ref.Tell(new BeginWrite(1), registry.Ref);
        h.StepUntilIdle();
        Assert.Equal(new ReaderReport("io0", 1, Readers: 1, Parked: 0), registry.ExpectMsg<ReaderReport>(TimeSpan.Zero));
        h.Unlock(held);
        Assert.Equal(new ReaderReport("io0", 1, Readers: 0, Parked: 0, Left: new DrainReader("io0", "held", Reader.Kind)), registry.ExpectMsg<ReaderReport>(TimeSpan.Zero));
        io.Ref.Tell(new EndWrite(1), registry.Ref);
        h.StepUntilIdle();
        registry.ExpectMsg<WriteEnded>(TimeSpan.Zero);
        h.AssertNoViolations();
    }

    /// <summary>Write step 3: the write section starts only once the sum of readers is zero.</summary>
    [Fact]
    public void A_writer_waits_while_a_reader_holds_the_lock_and_enters_when_it_is_released()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var reader = h.Lock(io, "r1");

        var writer = h.RequestWrite("W1");
        h.StepUntilIdle();
        // Everything is stepped by this thread and nothing is left to run: the writer waits for r1.
        Assert.False(writer.Entered.IsCompleted);
        var status = h.Status();
        Assert.True(status.WriterActive);
        Assert.False(status.InWriteSection);
        Assert.Equal(new ContextStatus("io0", Readers: 1, Parked: 0, ReportedEpoch: 1), h.Context("io0"));

        h.Unlock(reader);
        h.Await(writer.Completed, "W1 completed");
        Assert.Equal(0, writer.ReadersAtEntry);
        Assert.Equal(["r1 reads", "W1 enters", "W1 leaves"], h.Journal.Entries);
        h.AssertNoViolations();
    }

    /// <summary>Read step 2 and write step 5: readers arriving during a write park, and resume in arrival order at unlock.</summary>
    [Fact]
    public void Readers_arriving_during_a_write_are_parked_and_run_in_arrival_order_after_unlock()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io0 = h.StartIoThread("io0");
        var io1 = h.StartIoThread("io1");
        var writer = h.RequestWrite("W1", hold: true);
        h.Await(writer.Entered, "W1 entered");

        Reader[] readers = [h.Lock(io0, "r1"), h.Lock(io1, "r2"), h.Lock(io0, "r3"), h.Lock(io0, "r4"), h.Lock(io1, "r5")];
        h.StepUntilIdle();
        Assert.All(readers, r => Assert.True(r.IsParked, $"{r} parks while W1 writes"));
        Assert.Equal(3, h.IoStatus(io0).Parked);
        Assert.Equal(2, h.IoStatus(io1).Parked);

        writer.Release();
        h.Await(writer.Completed, "W1 completed");
        h.StepUntil(() => readers.All(r => r.Entered.IsCompleted), "the parked readers ran");
        var order = h.Journal.Entries;
        Assert.Equal(["W1 enters", "W1 leaves"], order.Take(2));
        Assert.Equal(["r1 reads", "r3 reads", "r4 reads"], h.Journal.Only("r1", "r3", "r4"));
        Assert.Equal(["r2 reads", "r5 reads"], h.Journal.Only("r2", "r5"));
        Assert.Equal(0, h.IoStatus(io0).Parked);
        h.AssertNoViolations();
    }

    /// <summary>
    /// Write step 5: readers resumed by an EndWrite are counted before the next BeginWrite reaches
    /// their IoThread (messages between two actors stay in order), so a queued writer waits for
    /// them: neither side starves.
    /// </summary>
    [Fact]
    public void Readers_resumed_at_unlock_run_before_the_next_queued_writer()
    {
        using var h = new GraphLockHarness(this, manualCoordinator: true);
        var io = h.StartIoThread("io0");
        var first = h.RequestWrite("W1", hold: true);
        h.Await(first.Entered, "W1 entered");
        Reader[] readers = [h.Lock(io, "r1", thenUnlock: true), h.Lock(io, "r2", thenUnlock: true)];
        var second = h.RequestWrite("W2");

        first.Release();
        h.Await(second.Completed, "W2 completed");
        Assert.Equal(["W1 enters", "W1 leaves", "r1 reads", "r2 reads", "W2 enters", "W2 leaves"], h.Journal.Entries);
        Assert.All(readers, r => Assert.True(r.IsReleased));
        h.AssertNoViolations();
    }

    /// <summary>
    /// Write step 2 (the drain): once BeginWrite arrived, new readers park, so a stream of readers
    /// that always overlap (the next arrives before the last leaves, so the count never falls to
    /// zero on its own) cannot starve a writer. Threaded loops; bounded by the writes.
    /// </summary>
    [Fact]
    public void A_constant_stream_of_new_readers_cannot_starve_a_writer()
    {
        using var h = new GraphLockHarness(this);
        var ios = new[] { h.StartIoThread("io0", manual: false), h.StartIoThread("io1", manual: false) };
        var streams = ios.SelectMany(io => new[] { new ReaderStream(io), new ReaderStream(io) }).ToList();
        streams.ForEach(s => s.Start());
        h.StepUntil(() => streams.All(s => s.Requests > 20), "every reader stream is flowing");

        for (var i = 1; i <= 5; i++)
        {
            var writer = h.RequestWrite("W" + i);
            h.Await(writer.Completed, $"W{i} completed while readers kept arriving");
            Assert.Equal(0, writer.ReadersAtEntry);
            // The streams resume after the write (their parked requests run), they were not dropped.
            var after = streams.Sum(s => s.Requests);
            h.StepUntil(() => streams.Sum(s => s.Requests) > after + 20, "the reader streams resumed after the write");
        }

        streams.ForEach(s => s.Stop());
        h.StepUntil(() => streams.All(s => s.IsIdle), "the reader streams stopped");
        Assert.Equal(0, h.Monitor.Readers);
        Assert.True(h.IoStatus(ios[0]).ParkedTotal > 0, "readers parked during the writes");
        h.AssertNoViolations();
    }

    /// <summary>
    /// The lock's one promise under load: 30 writers and a flood of readers (some of them
    /// unlocking on another IoThread) on threaded loops, and no reader is ever inside a write
    /// section, neither by the monitor nor by what each write body sees while it runs. Under a
    /// host aggregator (threaded too) the IoThreads' readers are stopped by the aggregator's
    /// thread while their loops run (IoThread.StopReaders): the same holds.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_reader_runs_inside_a_write_section_under_load(bool underHostAggregator)
    {
        using var h = new GraphLockHarness(this);
        var registry = underHostAggregator ? h.StartHost("a", manual: false).Ref : null;
        var ios = new[] { "io0", "io1", "io2" }.Select(name => h.StartIoThread(name, manual: false, registry: registry)).ToArray();
        var streams = ios.SelectMany((io, i) => new[] { new ReaderStream(io), new ReaderStream(io, migrateTo: ios[(i + 1) % ios.Length], migrateEvery: 3) }).ToList();
        streams.ForEach(s => s.Start());
        var seenInside = 0;
        var deferredRun = 0;

        async Task Body(WriteScope section)
        {
            foreach (var io in ios)
            {
                // The section stays open while each IoThread runs an iteration: readers arriving there meanwhile must park.
                seenInside = Math.Max(seenInside, h.Monitor.Readers);
                var visited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                io.Loop.Post(() => visited.SetResult());
                await visited.Task;
            }
            seenInside = Math.Max(seenInside, h.Monitor.Readers);
            section.Defer("count", _ =>
            {
                Interlocked.Increment(ref deferredRun);
                return Task.CompletedTask;
            });
        }

        var writers = new List<Writer>();
        for (var i = 0; i < 30; i++)
        {
            writers.Add(h.RequestWrite("W" + i, Body));
            if (i % 3 == 2)
            {
                h.Await(writers[^1].Completed, $"W{i} completed");
            }
        }
        foreach (var writer in writers)
        {
            h.Await(writer.Completed, $"{writer} completed");
        }
        streams.ForEach(s => s.Stop());
        h.StepUntil(() => streams.All(s => s.IsIdle), "the reader streams stopped");
        h.StepUntil(() => Volatile.Read(ref deferredRun) == 30, "every deferred action ran");
        // Each writer runs its deferred action and then tells the Coordinator (DeferredDone).
        h.StepUntil(() => h.Status().DeferredActionsRun == 30, "the Coordinator heard of every deferred action");

        h.AssertNoViolations();
        Assert.Equal(0, seenInside);
        Assert.All(writers, w => Assert.Equal(0, w.ReadersAtEntry));
        Assert.Equal(0, h.Monitor.Readers);
        Assert.True(streams.Sum(s => s.Requests) > 100, "readers ran meanwhile");
        var status = h.Status();
        Assert.Equal(30, status.WritesDone);
        Assert.Equal(30, status.DeferredActionsRun);
    }

    /// <summary>
    /// A stream of requests on one IoThread that always overlap: each takes the read lock, lets
    /// the next one arrive, and only then (an iteration later) unlocks, so the IoThread's count
    /// never falls to zero by itself. Every <c>migrateEvery</c>-th request unlocks on another
    /// IoThread (its node moved).
    /// </summary>
    private sealed class ReaderStream(IoThreadHandle io, IoThreadHandle? migrateTo = null, int migrateEvery = 0)
    {
        private volatile bool _stopping;
        private long _requests;
        private int _inFlight;

        public long Requests => Interlocked.Read(ref _requests);

        /// <summary>Stopped, and no request of the stream is inside or waiting.</summary>
        public bool IsIdle => _stopping && Volatile.Read(ref _inFlight) == 0;

        public void Start() => io.Loop.Post(Next);

        public void Stop() => _stopping = true;

        private void Next()
        {
            // Counted before the check, so IsIdle never misses a request that is starting.
            Interlocked.Increment(ref _inFlight);
            if (_stopping)
            {
                Interlocked.Decrement(ref _inFlight);
                return;
            }
            _ = RequestAsync(io.Instance);
        }

        private async Task RequestAsync(IoThread iothread)
        {
            await iothread.ReadLockAsync();
            var number = Interlocked.Increment(ref _requests);
            io.Loop.Post(Next);
            await Task.Yield();
            if (migrateTo is not null && number % migrateEvery == 0)
            {
                migrateTo.Loop.Post(() =>
                {
                    migrateTo.Instance.ReadUnlock();
                    Interlocked.Decrement(ref _inFlight);
                });
                return;
            }
            iothread.ReadUnlock();
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
