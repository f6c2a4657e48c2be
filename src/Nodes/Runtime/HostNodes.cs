using System.Collections.Immutable;
using Akka.Actor;
using Nodes.Commands;
using Nodes.Graph;

namespace Nodes.Runtime;

/// <summary>
/// The live nodes of one host (its <see cref="GraphRuntime"/>) as the graph's owner reaches them:
/// it registers the host with the owner, and carries out what the owner sends in its write
/// sections (<see cref="OpenHost"/>, <see cref="ApplyEvents"/>, <see cref="RemoveIoThread"/>) and
/// after them (<see cref="CloseLiveNode"/>). The owner sends a host one thing at a time and waits
/// for its answer, so the runtime never runs two of them at once.
/// </summary>
/// <remarks>
/// The host registers through <c>registrar</c>: the owner's supervisor, or in a cluster the proxy
/// of the owner singleton. It then watches the owner that answered; when that owner is gone (it
/// restarted after a journal failure, or the singleton moved to another host) it registers again
/// with the next one, which opens the host's nodes as its journal has them. It registers again
/// every <see cref="RegisterEvery"/> until an owner opens its nodes: a registration can be lost
/// (a supervisor answers it with a failure while its owner restarts); the owner takes a host it
/// already has once.
/// </remarks>
public sealed class HostNodes : ReceiveActor, IWithTimers
{
    /// <summary>How often a host that no owner opened yet registers again.</summary>
    public static readonly TimeSpan RegisterEvery = TimeSpan.FromMilliseconds(250);

    private readonly GraphRuntime _runtime;
    private readonly IActorRef _registrar;
    private readonly string? _defaultIoThread;
    private readonly TaskCompletionSource _opened;
    private IActorRef? _owner;

    public HostNodes(GraphRuntime runtime, string? defaultIoThread, IActorRef registrar, TaskCompletionSource opened)
    {
        _runtime = runtime;
        _defaultIoThread = defaultIoThread;
        _registrar = registrar;
        _opened = opened;
        Receive<OpenHost>(open =>
        {
            Timers.Cancel(Register.Instance);
            Adopt(Sender);
            var graph = new BlockGraph(_runtime.Drivers.Info);
            foreach (var e in open.Graph.Events)
            {
                graph.Apply(e);
            }
            Answer(OpenAsync(graph));
        });
        Receive<ApplyEvents>(apply => Answer(Done(_runtime.ApplyAsync(apply.Events))));
        Receive<CloseLiveNode>(close => Answer(Done(_runtime.CloseNodeAsync(close.Node))));
        Receive<RemoveIoThread>(remove =>
        {
            try
            {
                _runtime.RemoveIoThread(remove.IoThread);
                Sender.Tell(new LiveWorkDone(_runtime.Host));
            }
            catch (GraphException refused)
            {
                Sender.Tell(new Status.Failure(refused));
            }
        });
        Receive<Terminated>(terminated => terminated.ActorRef.Equals(_owner), _ =>
        {
            _owner = null;
            StartRegistering();
        });
        Receive<Register>(_ => _registrar.Tell(new RegisterHost(_runtime.Host, Self, _defaultIoThread)));
        // A registration answered while the owner restarts: the timer registers again.
        Receive<Status.Failure>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// Props for the live nodes of <paramref name="runtime"/>'s host, whose nodes added without an
    /// IoThread run on <paramref name="defaultIoThread"/>, registering through
    /// <paramref name="registrar"/>; <paramref name="opened"/> completes once an owner first opened them.
    /// </summary>
    public static Props Props(GraphRuntime runtime, string? defaultIoThread, IActorRef registrar, TaskCompletionSource opened) =>
        Akka.Actor.Props.Create(() => new HostNodes(runtime, defaultIoThread, registrar, opened));

    protected override void PreStart() => StartRegistering();

    private void StartRegistering()
    {
        Self.Tell(Register.Instance);
        Timers.StartPeriodicTimer(Register.Instance, Register.Instance, RegisterEvery);
    }

    private void Adopt(IActorRef owner)
    {
        if (!owner.Equals(_owner))
        {
            _owner = owner;
            Context.Watch(owner);
        }
    }

    private async Task<object> OpenAsync(BlockGraph graph)
    {
        try
        {
            var unavailable = await _runtime.OpenAllAsync(graph);
            _opened.TrySetResult();
            return new HostOpened(_runtime.Host, unavailable.ToImmutableSortedDictionary(StringComparer.Ordinal));
        }
        catch (Exception e)
        {
            _opened.TrySetException(e);
            throw;
        }
    }

    private async Task<object> Done(Task work)
    {
        await work;
        return new LiveWorkDone(_runtime.Host);
    }

    /// <summary>The answer goes to the owner that asked; a failure as <see cref="Status.Failure"/> carrying the refusal.</summary>
    private void Answer(Task<object> work) => work.PipeTo(Sender, Self, failure: e => new Status.Failure(e));

    private sealed record Register
    {
        public static readonly Register Instance = new();
    }
}
