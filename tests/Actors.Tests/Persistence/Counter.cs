using System.Collections.Immutable;
using Actors.Core;
using Actors.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// The persistent actor of these tests: a total of persisted amounts plus the ids that made it.
/// It tells its observer how its recovery ended, how its persists failed and
/// the outcome of snapshots and deletes.
/// </summary>
public sealed class Counter : PersistentActor
{
    private readonly string _persistenceId;
    private readonly IActorRef _observer;
    private readonly bool _autoSnapshot;
    private int _total;
    private List<int> _ids = [];
    private int _replayed;

    public Counter(string persistenceId, IActorRef observer, bool autoSnapshot = false)
    {
        _persistenceId = persistenceId;
        _observer = observer;
        _autoSnapshot = autoSnapshot;

        Recover<SnapshotOffer>(offer =>
        {
            var state = (CounterState)offer.Snapshot;
            _total = state.Total;
            _ids = [.. state.Ids];
        });
        Recover<Added>(added =>
        {
            Apply(added);
            _replayed++;
        });
        Recover<RecoveryCompleted>(_ =>
            _observer.Tell(new Recovered(PersistenceId, LastSequenceNr, SnapshotSequenceNr, _replayed, _total), Self));

        Command<Add>(add => Persist(new Added(add.Id, add.Amount), added =>
        {
            Apply(added);
            Sender.Tell(new Ack(added.Id, LastSequenceNr, _total), Self);
        }));
        Command<AddAll>(all => PersistAll(all.Ids.Select(id => new Added(id, 1)), added =>
        {
            Apply(added);
            Sender.Tell(new Ack(added.Id, LastSequenceNr, _total), Self);
        }));
        Command<GetState>(_ => Sender.Tell(new State(_total, [.. _ids], LastSequenceNr), Self));
        Command<TakeSnapshot>(_ => SaveSnapshot(Snapshot()));
        Command<DeleteUpTo>(delete => DeleteMessages(delete.SequenceNr));
        Command<Crash>(_ => throw new InvalidOperationException("crash on purpose"));
        Command<SaveSnapshotSuccess>(success => _observer.Tell(success, Self));
        Command<SaveSnapshotFailure>(failure => _observer.Tell(failure, Self));
        Command<DeleteMessagesSuccess>(success => _observer.Tell(success, Self));
        Command<DeleteMessagesFailure>(failure => _observer.Tell(failure, Self));
    }

    public override string PersistenceId => _persistenceId;

    public static Props PropsFor(string persistenceId, IActorRef observer, bool autoSnapshot = false) =>
        Props.Create(() => new Counter(persistenceId, observer, autoSnapshot));

    protected override ImmutableArray<string> TagsFor(object @event) =>
        @event is Added { Amount: > 1 } ? ["big"] : [];

    protected override object? GetSnapshotState() => _autoSnapshot ? Snapshot() : null;

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        base.OnPersistFailure(cause, @event, sequenceNr);
        _observer.Tell(new PersistFailed(cause, sequenceNr), Self);
    }

    protected override void OnRecoveryFailure(Exception cause, object? @event)
    {
        base.OnRecoveryFailure(cause, @event);
        _observer.Tell(new RecoveryFailed(cause), Self);
    }

    private CounterState Snapshot() => new(_total, [.. _ids]);

    private void Apply(Added added)
    {
        _total += added.Amount;
        _ids.Add(added.Id);
    }
}
