using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Nodes.Lifecycle;
using Nodes.Runtime;

namespace Nodes.Persistence;

/// <summary>
/// Reads the graph's journal once, as a new owner does (its last snapshot, then the events after
/// it), keeps nothing, never writes, and stops. In a cluster any host may start the owner in a
/// failover; the first read on a host (its first connection, the queries' compilation, the
/// events' deserializer) took about a second, and no graph change could be made meanwhile. Each
/// host reads once when it starts, so that the failover does not.
/// </summary>
public sealed class GraphJournalWarmUp : ReceivePersistentActor
{
    public GraphJournalWarmUp()
    {
        Recover<SnapshotOffer>(_ => { });
        Recover<IGraphEvent>(_ => { });
        Recover<RecoveryCompleted>(_ => Context.Stop(Self));
        CommandAny(_ => { });
    }

    public override string PersistenceId => GraphOwner.GraphPersistenceId;

    /// <summary>Props for the read; the actor stops once it is done.</summary>
    public static Props Props() => Akka.Actor.Props.Create<GraphJournalWarmUp>();

    protected override void OnRecoveryFailure(Exception reason, object? message = null) =>
        Context.GetLogger().Warning("Reading the graph's journal ahead of a failover failed ({0}); a new owner on this host reads it then.", reason.Message);
}
