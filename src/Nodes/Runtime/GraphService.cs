using Actors.Core;
using Actors.GraphLock;
using Nodes.Commands;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// Runs graph commands as the Coordinator's write sections: validate against the graph, persist
/// the events as one batch, apply them to the live nodes, and schedule the close of every node
/// whose last reference went (deferred unref). It answers the requester with
/// <see cref="WriteCompleted"/> or a <c>Status.Failure</c> carrying the <see cref="GraphException"/>.
/// On start it recovers the graph from the journal and finishes the unrefs a crash left pending.
/// </summary>
/// <remarks>
/// The <see cref="BlockGraph"/> is touched only by code running on the Coordinator (write bodies
/// and reads), never by this actor itself, so it needs no lock of its own.
/// </remarks>
public sealed class GraphService : ReceiveActor, IWithStash
{
    private readonly IActorRef _coordinator;
    private readonly BlockGraph _graph;
    private readonly GraphRuntime _runtime;
    private readonly IGraphJournal _journal;

    public GraphService(IActorRef coordinator, GraphRuntime runtime, IGraphJournal journal)
    {
        _coordinator = coordinator;
        _runtime = runtime;
        _journal = journal;
        _graph = new BlockGraph(runtime.Drivers.Info);
        Recovering();
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>
    /// Until the recovery write (sent in PreStart) completes, commands and queries wait: a command
    /// must not change a graph that is not recovered, and a read on the Coordinator is answered at
    /// once, so it would see the graph before recovery. They run in arrival order after it.
    /// </summary>
    private void Recovering()
    {
        Receive<IGraphCommand>(_ => Stash.Stash());
        Receive<QueryGraph>(_ => Stash.Stash());
        Receive<WriteCompleted>(_ => Become(Ready));
        Receive<Actors.Messages.Status.Failure>(failure =>
        {
            var error = new InvalidOperationException($"The block graph could not be recovered from its journal: {failure.Cause.Message}", failure.Cause);
            Become(() => Unrecovered(error));
        });
    }

    /// <summary>
    /// Recovery failed (say, the journal has nodes on an IoThread this host does not start):
    /// every command and query gets the reason, and nothing changes the graph or the journal.
    /// Restarting would only fail the same way, over and over.
    /// </summary>
    private void Unrecovered(Exception error)
    {
        ReceiveAny(_ => Sender.Tell(new Actors.Messages.Status.Failure(error)));
        Stash.UnstashAll();
    }

    private void Ready()
    {
        AcceptCommands();
        Receive<QueryGraph>(_ => _coordinator.Tell(new RequestRead(() => GraphSnapshot.Of(_graph)), Sender));
        Stash.UnstashAll();
    }

    private void AcceptCommands() =>
        Receive<IGraphCommand>(command =>
            _coordinator.Tell(new RequestWrite(command.GetType().Name, section => Execute(command, section)), Sender));

    public static Props Props(IActorRef coordinator, GraphRuntime runtime, IGraphJournal journal) =>
        Actors.Core.Props.Create(() => new GraphService(coordinator, runtime, journal));

    protected override void PreStart() =>
        _coordinator.Tell(new RequestWrite("recover the block graph", RecoverAsync), Self);

    /// <summary>
    /// Runs on the Coordinator, inside a write section. The live nodes change before the events
    /// are persisted: what can fail there (opening an image that QEMU holds, bad driver options)
    /// is the first live effect of every command, so a failure leaves the live nodes as they were,
    /// and the model is put back as the journal has it. Only what took effect is persisted.
    /// </summary>
    private async Task Execute(IGraphCommand command, WriteSection section)
    {
        var events = command.Apply(_graph);
        if (events.Count == 0)
        {
            return;
        }
        try
        {
            await _runtime.ApplyAsync(events);
        }
        catch
        {
            await ReplayJournalAsync();
            throw;
        }
        try
        {
            await _journal.AppendAsync(events);
        }
        catch (Exception e)
        {
            // The live nodes now differ from the journal: only a restart (replay) is sound.
            throw new GraphJournalException($"The journal refused the events of {command.GetType().Name}; restart the host to recover the graph from its journal.", e);
        }
        ScheduleUnrefs(events.OfType<UnrefScheduled>().Select(u => u.Node), section);
        if (_journal.SnapshotDue)
        {
            await _journal.SaveSnapshotAsync(_graph.Compact());
        }
    }

    private async Task RecoverAsync(WriteSection section)
    {
        await ReplayJournalAsync();
        await _runtime.OpenAllAsync(_graph);
        ScheduleUnrefs(_graph.PendingUnrefs, section);
    }

    private async Task ReplayJournalAsync()
    {
        _graph.Clear();
        await foreach (var e in _journal.ReadAllAsync())
        {
            _graph.Apply(e);
        }
    }

    private void ScheduleUnrefs(IEnumerable<string> nodes, WriteSection section)
    {
        foreach (var node in nodes.ToList())
        {
            section.Defer($"close node '{node}'", context => CloseAsync(node, context));
        }
    }

    /// <summary>
    /// The deferred unref: after write-unlock nothing can reach the node (it has no parent or
    /// export left, and no request was in flight), so closing needs no drain wait; then its close
    /// is recorded in a write of its own. After a crash, replay finds it pending and runs it again:
    /// the close of a node that is not open only records the event, so it happens once.
    /// </summary>
    private async Task CloseAsync(string node, DeferredContext context)
    {
        await _runtime.CloseNodeAsync(node);
        await context.WriteAsync($"record the close of '{node}'", section => Execute(new CloseNode(node), section));
    }
}
