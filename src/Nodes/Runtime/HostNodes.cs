using System.Collections.Immutable;
using Actors.Singletons;
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
/// The host registers (<see cref="Registration"/>) through <c>registrar</c>: the owner's
/// supervisor, or in a cluster the proxy of the owner singleton, and with a new owner directly as
/// soon as it announces itself. An owner answers by opening the host's nodes as its journal has
/// them; the host then watches it, and when it is gone (it restarted after a journal failure, or
/// the singleton moved to another host) registers again. Until an owner opens its nodes it
/// registers again every <see cref="Registration.Every"/> (a supervisor answers a try with a
/// failure while its owner restarts); the owner takes a host it already has once.
/// </remarks>
public sealed class HostNodes : ReceiveActor, IWithTimers
{
    /// <summary>Its name under /user on every host: a new owner of the graph announces itself to it.</summary>
    public const string Name = "host-nodes";

    private readonly GraphRuntime _runtime;
    private readonly TaskCompletionSource _opened;
    private readonly Registration _registration;

    public HostNodes(GraphRuntime runtime, string? defaultIoThread, IActorRef registrar, TaskCompletionSource opened)
    {
        _runtime = runtime;
        _opened = opened;
        _registration = new Registration(Context, Timers, registrar, () => new RegisterHost(_runtime.Host, Self, defaultIoThread));
        Receive<OpenHost>(open =>
        {
            _registration.Answered(Sender);
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
        Receive<Terminated>(terminated => _registration.Lost(terminated));
        Receive<Registration.Tick>(_ => _registration.RegisterAgain());
        Receive<SingletonStarted>(_ => _registration.Announced(Sender));
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

    protected override void PreStart() => _registration.Start();

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
}
