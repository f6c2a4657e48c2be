using Actors.Core;
using Actors.Persistence;
using Actors.Serialization;
using Xunit.Abstractions;
using PersistenceExtension = Actors.Persistence.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// <see cref="PersistentActor"/> over a SQLite journal in a temp directory (through a
/// <see cref="GatedJournal"/>, so a test can hold a write or a replay in flight).
/// </summary>
public sealed class PersistentActorTests : Actors.TestKit.TestKit
{
    private const int SnapshotEvery = 3;
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-persistent-").FullName;
    private readonly GatedJournal _journal;
    private readonly SqliteSnapshotStore _snapshots;
    private readonly List<IAsyncDisposable> _disposables = [];

    public PersistentActorTests(ITestOutputHelper output)
        : base(output: output)
    {
        var path = Path.Combine(_directory, "journal.db");
        _journal = new GatedJournal(new SqliteJournal(path));
        _snapshots = new SqliteSnapshotStore(path);
        // Automatic snapshots every 3 events, taken only by counters made with autoSnapshot.
        PersistenceExtension.Register(Sys, _journal, _snapshots, snapshotEvery: SnapshotEvery);
    }

    [Fact]
    public void Recovers_its_state_after_it_is_stopped_and_created_again()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("counter", TestActor));
        ExpectMsg<Recovered>(r => r.LastSequenceNr == 0);
        foreach (var id in new[] { 1, 2, 3 })
        {
            counter.Tell(new Add(id, Amount: id * 10), TestActor);
            Assert.Equal(id, ExpectMsg<Ack>().SequenceNr);
        }
        Stop(counter);

        var again = Sys.ActorOf(Counter.PropsFor("counter", TestActor));

        var recovered = ExpectMsg<Recovered>();
        Assert.Equal((3L, 3, 60), (recovered.LastSequenceNr, recovered.ReplayedEvents, recovered.Total));
        again.Tell(GetState.Instance, TestActor);
        Assert.Equal([1, 2, 3], ExpectMsg<State>().Ids);
        again.Tell(new Add(4), TestActor);
        Assert.Equal(4, ExpectMsg<Ack>().SequenceNr);
    }

    [Fact]
    public async Task Commands_sent_during_recovery_wait_for_it_and_then_run_in_arrival_order()
    {
        await AppendAsync("held", new Added(1, 1), new Added(2, 1), new Added(3, 1));
        _journal.HoldReplays = true;
        var counter = Sys.ActorOf(Counter.PropsFor("held", TestActor));
        await _journal.ReplayReached;

        // Recovery is provably in flight: these arrive while it runs.
        counter.Tell(new Add(10), TestActor);
        counter.Tell(GetState.Instance, TestActor);
        counter.Tell(new Add(11), TestActor);
        _journal.OpenReplays();

        Assert.Equal(3, ExpectMsg<Recovered>().Total);
        Assert.Equal(new Ack(10, 4, 4), ExpectMsg<Ack>());
        var state = ExpectMsg<State>();
        Assert.Equal([1, 2, 3, 10], state.Ids);
        Assert.Equal(4, state.LastSequenceNr);
        Assert.Equal(new Ack(11, 5, 5), ExpectMsg<Ack>());
    }

    [Fact]
    public async Task A_command_after_Persist_waits_until_the_event_is_stored_and_its_handler_ran_with_the_original_sender()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("waits", TestActor));
        ExpectMsg<Recovered>();
        var writer = CreateTestProbe("writer");
        _journal.HoldAppends = true;

        counter.Tell(new Add(1), writer.Ref);
        await _journal.AppendReached;
        counter.Tell(GetState.Instance, TestActor);
        _journal.OpenAppends();

        // The handler replied to the command's sender, not to whoever sent the last message.
        Assert.Equal(new Ack(1, 1, 1), writer.ExpectMsg<Ack>());
        // GetState was held back until the handler ran: it sees the event.
        Assert.Equal(1, ExpectMsg<State>().Total);
    }

    [Fact]
    public void Events_persisted_by_one_command_are_written_as_one_batch_and_handled_in_order()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("batch", TestActor));
        ExpectMsg<Recovered>();
        var appendsBefore = _journal.Appends;

        counter.Tell(new AddAll([7, 8, 9]), TestActor);

        Assert.Equal(new Ack(7, 1, 1), ExpectMsg<Ack>());
        Assert.Equal(new Ack(8, 2, 2), ExpectMsg<Ack>());
        Assert.Equal(new Ack(9, 3, 3), ExpectMsg<Ack>());
        Assert.Equal(1, _journal.Appends - appendsBefore);
    }

    [Fact]
    public void Recovery_offers_the_snapshot_then_replays_only_the_events_after_it()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("snap", TestActor));
        ExpectMsg<Recovered>();
        AddAndAck(counter, 1, 2, 3, 4, 5);
        counter.Tell(TakeSnapshot.Instance, TestActor);
        Assert.Equal(5, ExpectMsg<SaveSnapshotSuccess>().Metadata.SequenceNr);
        AddAndAck(counter, 6, 7);
        Stop(counter);

        var again = Sys.ActorOf(Counter.PropsFor("snap", TestActor));

        var recovered = ExpectMsg<Recovered>();
        Assert.Equal((7L, 5L, 2), (recovered.LastSequenceNr, recovered.SnapshotSequenceNr, recovered.ReplayedEvents));
        again.Tell(GetState.Instance, TestActor);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], ExpectMsg<State>().Ids);
    }

    [Fact]
    public void A_counter_that_provides_its_state_is_snapshotted_every_snapshot_every_events()
    {
        var observer = CreateTestProbe("observer");
        var counter = Sys.ActorOf(Counter.PropsFor("auto", observer.Ref, autoSnapshot: true));
        observer.ExpectMsg<Recovered>();

        AddAndAck(counter, 1, 2, 3, 4, 5, 6, 7);

        var saved = observer.ReceiveN(2).Cast<SaveSnapshotSuccess>().Select(s => s.Metadata.SequenceNr).Order();
        Assert.Equal([3L, 6L], saved);
        Stop(counter);
        Sys.ActorOf(Counter.PropsFor("auto", observer.Ref, autoSnapshot: true));
        var recovered = observer.ExpectMsg<Recovered>();
        Assert.Equal((7L, 6L, 1, 7), (recovered.LastSequenceNr, recovered.SnapshotSequenceNr, recovered.ReplayedEvents, recovered.Total));
    }

    [Fact]
    public async Task A_second_writer_of_the_same_stream_fails_its_persist_with_a_conflict_and_stops()
    {
        var first = Sys.ActorOf(Counter.PropsFor("shared", TestActor));
        ExpectMsg<Recovered>();
        var secondObserver = CreateTestProbe("second");
        var second = Sys.ActorOf(Counter.PropsFor("shared", secondObserver.Ref));
        secondObserver.ExpectMsg<Recovered>();
        Watch(second);

        first.Tell(new Add(1), TestActor);
        Assert.Equal(1, ExpectMsg<Ack>().SequenceNr);
        // The second incarnation recovered before that write: it believes sequence number 1 is free.
        second.Tell(new Add(2), TestActor);

        var failed = secondObserver.ExpectMsg<PersistFailed>();
        var conflict = Assert.IsType<JournalConflictException>(failed.Cause);
        Assert.Equal(("shared", 1L), (conflict.PersistenceId.Value, conflict.SequenceNr));
        ExpectTerminated(second);
        first.Tell(new Add(3), TestActor);
        Assert.Equal(new Ack(3, 2, 2), ExpectMsg<Ack>());
        Assert.Equal([1, 3], await StoredIdsAsync("shared"));
    }

    [Fact]
    public async Task A_recovery_that_cannot_read_an_event_stops_the_actor()
    {
        await _journal.AppendAsync(new PersistenceId("broken"), [new JournalWrite(1, "test.no-such-event.v1", new byte[] { 1 })]);
        var observer = CreateTestProbe("observer");
        var counter = Sys.ActorOf(Counter.PropsFor("broken", observer.Ref));
        Watch(counter);

        var failed = observer.ExpectMsg<RecoveryFailed>();

        Assert.Contains("test.no-such-event.v1", failed.Cause.ToString());
        ExpectTerminated(counter);
    }

    [Fact]
    public void A_restarted_actor_recovers_again_and_applies_each_event_once()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("restart", TestActor));
        ExpectMsg<Recovered>();
        AddAndAck(counter, 1, 2);

        counter.Tell(Crash.Instance, TestActor);

        var recovered = ExpectMsg<Recovered>();
        Assert.Equal((2L, 2, 2), (recovered.LastSequenceNr, recovered.ReplayedEvents, recovered.Total));
        counter.Tell(new Add(3), TestActor);
        Assert.Equal(new Ack(3, 3, 3), ExpectMsg<Ack>());
    }

    [Fact]
    public void Deleted_events_are_not_replayed_but_their_sequence_numbers_stay_used()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("delete", TestActor));
        ExpectMsg<Recovered>();
        AddAndAck(counter, 1, 2, 3);
        counter.Tell(new DeleteUpTo(2), TestActor);
        Assert.Equal(2, ExpectMsg<DeleteMessagesSuccess>().ToSequenceNr);
        counter.Tell(new DeleteUpTo(9), TestActor);
        Assert.IsType<ArgumentOutOfRangeException>(ExpectMsg<DeleteMessagesFailure>().Cause);
        Stop(counter);

        var again = Sys.ActorOf(Counter.PropsFor("delete", TestActor));

        var recovered = ExpectMsg<Recovered>();
        Assert.Equal((3L, 1), (recovered.LastSequenceNr, recovered.ReplayedEvents));
        again.Tell(new Add(4), TestActor);
        Assert.Equal(4, ExpectMsg<Ack>().SequenceNr);
    }

    [Fact]
    public async Task Events_carry_the_tags_the_actor_gives_them()
    {
        var counter = Sys.ActorOf(Counter.PropsFor("tags", TestActor));
        ExpectMsg<Recovered>();
        counter.Tell(new Add(1, Amount: 5), TestActor);
        counter.Tell(new Add(2, Amount: 1), TestActor);
        ReceiveN(2);

        var big = new List<JournalEntry>();
        await foreach (var entry in _journal.ReadByTagAsync("big", 0))
        {
            big.Add(entry);
        }

        var only = Assert.Single(big);
        Assert.Equal(("tags", 1L, "test.counter.added.v1"), (only.PersistenceId.Value, only.SequenceNr, only.Manifest));
    }

    [Fact]
    public async Task A_long_stream_is_recovered_in_order_across_replay_chunks()
    {
        const int events = (2 * PersistentActor.ReplayChunkSize) + 100;
        for (var start = 1; start <= events; start += 1000)
        {
            await AppendAsync("long", [.. Enumerable.Range(start, Math.Min(1000, events - start + 1)).Select(i => new Added(i, 1))]);
        }

        var counter = Sys.ActorOf(Counter.PropsFor("long", TestActor));

        var recovered = ExpectMsg<Recovered>();
        Assert.Equal((events, events, events), (recovered.LastSequenceNr, recovered.ReplayedEvents, recovered.Total));
        counter.Tell(GetState.Instance, TestActor);
        Assert.Equal(Enumerable.Range(1, events), ExpectMsg<State>().Ids);
    }

    [Fact]
    public async Task Every_acknowledged_event_is_recovered_exactly_once_after_the_system_dies_mid_stream()
    {
        const int sent = 2000;
        var path = Path.Combine(_directory, "crash.db");
        var victim = ActorSystem.Create("victim");
        var victimJournal = new GatedJournal(new SqliteJournal(path));
        var victimSnapshots = new SqliteSnapshotStore(path);
        _disposables.Add(victimSnapshots);
        PersistenceExtension.Register(victim, victimJournal, victimSnapshots);
        var observer = CreateTestProbe("observer");
        var acks = CreateTestProbe("acks");
        var counter = victim.ActorOf(Counter.PropsFor("crash", observer.Ref));
        observer.ExpectMsg<Recovered>();

        for (var id = 1; id <= sent; id++)
        {
            counter.Tell(new Add(id), acks.Ref);
        }
        var acknowledged = new List<int>();
        while (acknowledged.Count < 100)
        {
            acknowledged.Add(acks.ExpectMsg<Ack>().Id);
        }
        // Freeze the stream with an append in flight, then take the whole system down around it,
        // leaving the journal open as a dying process would: no dispose, the batch never lands.
        victimJournal.HoldAppends = true;
        await victimJournal.AppendReached;
        await victim.Terminate();
        acks.Ref.Tell("end of the old system", Nobody.Instance);
        while (acks.ExpectMsg<object>() is Ack ack)
        {
            acknowledged.Add(ack.Id);
        }

        var revived = ActorSystem.Create("revived");
        try
        {
            var revivedJournal = new SqliteJournal(path);
            var revivedSnapshots = new SqliteSnapshotStore(path);
            _disposables.Add(revivedJournal);
            _disposables.Add(revivedSnapshots);
            PersistenceExtension.Register(revived, revivedJournal, revivedSnapshots);
            var again = revived.ActorOf(Counter.PropsFor("crash", observer.Ref));
            var recovered = observer.ExpectMsg<Recovered>();
            again.Tell(GetState.Instance, TestActor);
            var state = ExpectMsg<State>();

            Assert.InRange(acknowledged.Count, 100, sent - 1);
            Assert.Equal(acknowledged.Count, state.Ids.Distinct().Count());
            Assert.Equal(acknowledged, state.Ids);
            Assert.Equal(acknowledged.Count, recovered.LastSequenceNr);
        }
        finally
        {
            await revived.Terminate();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }
        _journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _snapshots.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var disposable in _disposables)
        {
            disposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        Directory.Delete(_directory, recursive: true);
    }

    private void AddAndAck(IActorRef counter, params int[] ids)
    {
        foreach (var id in ids)
        {
            counter.Tell(new Add(id), TestActor);
            Assert.Equal(id, ExpectMsg<Ack>().Id);
        }
    }

    private void Stop(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
    }

    private async Task AppendAsync(string persistenceId, params Added[] events)
    {
        var id = new PersistenceId(persistenceId);
        var first = await _journal.ReadHighestSequenceNrAsync(id) + 1;
        await _journal.AppendAsync(id, [.. events.Select((e, i) => Write(Sys.Serialization, first + i, e))]);
    }

    private static JournalWrite Write(SerializerRegistry serialization, long sequenceNr, object @event)
    {
        var serialized = serialization.Serialize(@event);
        return new JournalWrite(sequenceNr, serialized.Manifest, serialized.Payload);
    }

    private async Task<List<int>> StoredIdsAsync(string persistenceId)
    {
        var ids = new List<int>();
        await foreach (var entry in _journal.ReplayAsync(new PersistenceId(persistenceId), 1, long.MaxValue))
        {
            ids.Add(((Added)Sys.Serialization.Deserialize(new SerializedMessage(entry.Manifest, entry.Payload))).Id);
        }
        return ids;
    }
}
