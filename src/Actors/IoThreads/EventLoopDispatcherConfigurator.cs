using Akka.Actor;
using Akka.Configuration;
using AkkaConfig = Akka.Configuration.Config;
using Akka.Dispatch;

namespace Actors.IoThreads;

/// <summary>
/// An Akka dispatcher that runs its actors' mailboxes on one <see cref="EventLoop"/>'s thread:
/// the IoThread actor, its node actors' I/O and its sockets share that thread, as block nodes
/// share an AioContext in QEMU. Settings come from <c>actors.iothreads.dispatcher</c>
/// (throughput and friends, as for any Akka dispatcher); each loop registers one under its
/// <see cref="EventLoop.DispatcherId"/>.
/// </summary>
public sealed class EventLoopDispatcherConfigurator : MessageDispatcherConfigurator
{
    /// <summary>Where every loop dispatcher's settings live in the system's configuration.</summary>
    public const string ConfigPath = "actors.iothreads.dispatcher";

    private readonly MessageDispatcher _dispatcher;

    private EventLoopDispatcherConfigurator(AkkaConfig config, IDispatcherPrerequisites prerequisites, EventLoop loop)
        : base(config, prerequisites)
    {
        _dispatcher = new Dispatcher(
            this,
            loop.DispatcherId,
            config.GetInt("throughput", 64),
            config.GetTimeSpan("throughput-deadline-time", TimeSpan.Zero) is { Ticks: > 0 } deadline ? deadline.Ticks : null,
            new ExecutorFactory(loop),
            config.GetTimeSpan("shutdown-timeout", TimeSpan.FromSeconds(1)));
    }

    public override MessageDispatcher Dispatcher() => _dispatcher;

    /// <summary>
    /// Makes <paramref name="loop"/> a dispatcher of <paramref name="system"/>; actors go there
    /// with <c>Props.WithDispatcher(loop.DispatcherId)</c>. Registering a loop again has no effect.
    /// </summary>
    public static string Register(ActorSystem system, EventLoop loop)
    {
        var dispatchers = system.Dispatchers;
        if (!dispatchers.HasDispatcher(loop.DispatcherId))
        {
            var config = ConfigurationFactory.ParseString($"id = \"{loop.DispatcherId}\"")
                .WithFallback(system.Settings.Config.GetConfig(ConfigPath) ?? AkkaConfig.Empty);
            dispatchers.RegisterConfigurator(loop.DispatcherId, new EventLoopDispatcherConfigurator(config, dispatchers.Prerequisites, loop));
        }
        return loop.DispatcherId;
    }

    private sealed class ExecutorFactory(EventLoop loop) : ExecutorServiceFactory
    {
        public override ExecutorService Produce(string id) => new LoopExecutor(id, loop);
    }

    /// <summary>Hands each mailbox run to the loop; the loop is the IoThread's, so shutting down leaves it running.</summary>
    private sealed class LoopExecutor(string id, EventLoop loop) : ExecutorService(id)
    {
        private static readonly SendOrPostCallback s_run = static state => ((IRunnable)state!).Run();

        public override void Execute(IRunnable run) => loop.Post(s_run, run);

        // Akka shuts a dispatcher down when its last actor left; the loop belongs to its IoThread.
        public override void Shutdown()
        {
        }
    }
}
