using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Nodes.Lifecycle;

namespace Nodes.Tests.Persistence;

/// <summary>
/// A small persistent actor in the shape of the graph's owner: it persists graph events, saves
/// a <see cref="GraphHistory"/> snapshot and tells what it recovered. Persist failures go to
/// <c>watcher</c> before Akka stops the actor.
/// </summary>
internal sealed class GraphRecorder : ReceivePersistentActor
{
    private readonly IActorRef _watcher;
    private readonly List<IGraphEvent> _recovered = [];
    private GraphHistory? _snapshot;
    private long _snapshotSequenceNr;
    private IActorRef _snapshotRequester = ActorRefs.Nobody;

    public GraphRecorder(string persistenceId, IActorRef watcher)
    {
        PersistenceId = persistenceId;
        _watcher = watcher;
        Recover<SnapshotOffer>(offer =>
        {
            _snapshot = (GraphHistory)offer.Snapshot;
            _snapshotSequenceNr = offer.Metadata.SequenceNr;
        });
        Recover<IGraphEvent>(_recovered.Add);
        Command<Record>(record =>
        {
            var sender = Sender;
            var left = record.Events.Length;
            PersistAll(record.Events, _ =>
            {
                if (--left == 0)
                {
                    sender.Tell(new Recorded(LastSequenceNr));
                }
            });
        });
        Command<TakeSnapshot>(take =>
        {
            _snapshotRequester = Sender;
            SaveSnapshot(take.History);
        });
        Command<SaveSnapshotSuccess>(success => _snapshotRequester.Tell(new SnapshotTaken(success.Metadata.SequenceNr)));
        Command<SaveSnapshotFailure>(failure => _snapshotRequester.Tell(new Status.Failure(failure.Cause)));
        Command<GetRecovered>(_ => Sender.Tell(new Recovered(_snapshot, _snapshotSequenceNr, [.. _recovered], LastSequenceNr)));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, IActorRef watcher) =>
        Akka.Actor.Props.Create(() => new GraphRecorder(persistenceId, watcher));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _watcher.Tell(new PersistFailed(cause, sequenceNr));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _watcher.Tell(new PersistRejected(cause, sequenceNr));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    public sealed record Record(ImmutableArray<IGraphEvent> Events);

    public sealed record Recorded(long LastSequenceNr);

    public sealed record TakeSnapshot(GraphHistory History);

    public sealed record SnapshotTaken(long SequenceNr);

    public sealed record GetRecovered
    {
        public static GetRecovered Instance { get; } = new();
    }

    /// <summary>What recovery gave: the snapshot offered (if any) and the events replayed after it.</summary>
    public sealed record Recovered(GraphHistory? Snapshot, long SnapshotSequenceNr, ImmutableArray<IGraphEvent> Events, long LastSequenceNr);

    public sealed record PersistFailed(Exception Cause, long SequenceNr);

    public sealed record PersistRejected(Exception Cause, long SequenceNr);
}
