using Actors.Config;
using Actors.IoThreads;
using Akka.Actor;

namespace Benchmarks;

/// <summary>An actor system for message benchmarks, with an IoThread's event loop as one of its dispatchers.</summary>
internal sealed class BenchActors : IDisposable
{
    /// <summary>The actor runs on an <see cref="EventLoop"/>'s thread, as an IoThread's actors do.</summary>
    public const string LoopDispatcher = "iothread-loop";

    /// <summary>Akka's default dispatcher (the thread pool).</summary>
    public const string DefaultDispatcher = "akka.actor.default-dispatcher";

    private readonly EventLoop _loop = new("bench");

    public BenchActors() => System = AkkaHandover.CreateSystem("bench", ConfigFactory.Reference().Resolve(), loggerFactory: null);

    public ActorSystem System { get; }

    public IActorRef Start(Props props, string dispatcher) =>
        System.ActorOf(props.WithDispatcher(dispatcher == LoopDispatcher ? EventLoopDispatcherConfigurator.Register(System, _loop) : dispatcher));

    public void Dispose()
    {
        System.Terminate().Wait();
        _loop.Dispose();
    }
}
