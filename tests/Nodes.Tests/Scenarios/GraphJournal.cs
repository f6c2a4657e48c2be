using Akka.Actor;
using Akka.Persistence;
using Nodes.Lifecycle;
using Nodes.Runtime;

namespace Nodes.Tests.Scenarios;

/// <summary>
/// Reads and seeds the graph's journal (<see cref="GraphOwner.GraphPersistenceId"/>) of a test's
/// actor system, as a host that ran before would have left it.
/// </summary>
internal static class GraphJournal
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Appends <paramref name="events"/> after what the journal holds (no graph owner may run meanwhile).</summary>
    public static void Append(ActorSystem system, IReadOnlyList<IGraphEvent> events) =>
        Ask<Done>(system, new Seed(events));

    /// <summary>Every event of the graph's history, from the first (snapshots are not used).</summary>
    public static IReadOnlyList<IGraphEvent> Read(ActorSystem system) =>
        Ask<IReadOnlyList<IGraphEvent>>(system, ReadAll.Instance);

    private static T Ask<T>(ActorSystem system, object message)
    {
        var reader = system.ActorOf(Props.Create(() => new JournalActor()));
        try
        {
            return reader.Ask<T>(message, Timeout).GetAwaiter().GetResult();
        }
        finally
        {
            system.Stop(reader);
        }
    }

    private sealed class JournalActor : ReceivePersistentActor
    {
        private readonly List<IGraphEvent> _events = [];

        public JournalActor()
        {
            Recover<IGraphEvent>(_events.Add);
            Command<Seed>(seed =>
            {
                PersistAll(seed.Events, _ => { });
                DeferAsync(Done.Instance, done => Sender.Tell(done));
            });
            Command<ReadAll>(_ => Sender.Tell(_events.ToList()));
        }

        public override string PersistenceId => GraphOwner.GraphPersistenceId;

        public override Recovery Recovery => new(SnapshotSelectionCriteria.None);
    }

    private sealed record Seed(IReadOnlyList<IGraphEvent> Events);

    private sealed record ReadAll
    {
        public static readonly ReadAll Instance = new();
    }

    private sealed record Done
    {
        public static readonly Done Instance = new();
    }
}
