using Actors.Persistence;
using Xunit.Abstractions;
using PersistenceExtension = Actors.Persistence.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// <see cref="PersistentActor"/> on the cluster journal: PostgreSQL (<c>ACTORS_TEST_POSTGRES</c>),
/// in a schema of its own per test.
/// </summary>
public sealed class PostgresPersistentActorTests : Actors.TestKit.TestKit
{
    private readonly string _schema = PostgresTestDatabase.NewSchema();
    private readonly PostgresJournal? _journal;
    private readonly PostgresSnapshotStore? _snapshots;

    public PostgresPersistentActorTests(ITestOutputHelper output)
        : base(output: output)
    {
        if (PostgresTestDatabase.ConnectionString is { } connectionString)
        {
            _journal = new PostgresJournal(connectionString, _schema);
            _snapshots = new PostgresSnapshotStore(connectionString, _schema);
            PersistenceExtension.Register(Sys, _journal, _snapshots);
        }
    }

    [PostgresFact]
    public void State_survives_a_new_incarnation_and_a_second_writer_is_fenced_off()
    {
        var first = Sys.ActorOf(Counter.PropsFor("coordinator", TestActor));
        ExpectMsg<Recovered>();
        foreach (var id in new[] { 1, 2 })
        {
            first.Tell(new Add(id), TestActor);
            Assert.Equal(id, ExpectMsg<Ack>().SequenceNr);
        }
        first.Tell(TakeSnapshot.Instance, TestActor);
        Assert.Equal(2, ExpectMsg<SaveSnapshotSuccess>().Metadata.SequenceNr);
        first.Tell(new Add(3), TestActor);
        Assert.Equal(3, ExpectMsg<Ack>().SequenceNr);

        // A second coordinator recovers the same stream: snapshot at 2, then event 3.
        var secondObserver = CreateTestProbe("second");
        var second = Sys.ActorOf(Counter.PropsFor("coordinator", secondObserver.Ref));
        var recovered = secondObserver.ExpectMsg<Recovered>();
        Assert.Equal((3L, 2L, 1, 3), (recovered.LastSequenceNr, recovered.SnapshotSequenceNr, recovered.ReplayedEvents, recovered.Total));
        Watch(second);

        // The first one writes on; the second's write then hits a taken sequence number.
        first.Tell(new Add(4), TestActor);
        Assert.Equal(4, ExpectMsg<Ack>().SequenceNr);
        second.Tell(new Add(5), TestActor);

        var conflict = Assert.IsType<JournalConflictException>(secondObserver.ExpectMsg<PersistFailed>().Cause);
        Assert.Equal(4, conflict.SequenceNr);
        ExpectTerminated(second);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing || _journal is null)
        {
            return;
        }
        _journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _snapshots!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        PostgresTestDatabase.DropSchemaAsync(_schema).GetAwaiter().GetResult();
    }
}
