using System.Reflection;
using Actors.Cell;
using Actors.Config;
using Actors.Dispatch;
using Actors.Messages;
using Actors.Scheduling;
using Actors.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using HoconConfig = Actors.Config.Config;

namespace Actors.Core;

/// <summary>
/// A tree of actors with its dispatchers, scheduler, event stream and dead letters. Its name is
/// the cluster name; with the host name (config <c>actors.host</c>) it makes the address
/// <c>actor://&lt;cluster&gt;@&lt;host&gt;</c> of every actor in it.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private static long s_tempId;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LocalActorRef _root;
    private readonly LocalActorRef _user;
    private readonly LocalActorRef _system;
    private readonly int _deadLettersToLog;
    private int _deadLettersLogged;
    private int _terminating;

    private ActorSystem(string name, ActorSystemSetup setup)
    {
        Name = name;
        Config = (setup.Config ?? HoconConfig.Empty).WithFallback(ReferenceConfig.Value).Resolve();
        var actors = Config.GetConfig("actors");
        Address = new Address(name, actors.GetString("host"));
        LoggerFactory = setup.LoggerFactory ?? NullLoggerFactory.Instance;
        Log = LoggerFactory.CreateLogger("Actors.ActorSystem");
        Scheduler = new Scheduler(setup.Clock ?? TimeProvider.System);
        Dispatchers = new Dispatchers(actors.GetConfig("dispatchers"));
        _deadLettersToLog = actors.GetInt("log-dead-letters");
        var rootPath = ActorPath.Root(Address);
        TempRoot = rootPath / "temp";
        DeadLetters = new DeadLetterActorRef(this, rootPath / "deadLetters");
        Serialization = new SerializerRegistry(new JsonMessageSerializer(path => ResolveActorRef(path) ?? new UnresolvedActorRef(this, path)));
        Serialization.RegisterAssembly(typeof(ActorSystem).Assembly);
        var guardian = Props.Create<Guardian>();
        _root = new LocalActorRef(this, rootPath, guardian, Dispatchers.Lookup(Props.DefaultDispatcher), new RootSupervisor(this, rootPath / "bubble-walker"));
        _root.Cell.Start();
        _user = (LocalActorRef)_root.Cell.ActorOf(guardian, "user");
        _system = (LocalActorRef)_root.Cell.ActorOf(guardian, "system");
        RuntimeLog.Started(Log, Name, Address.ToString());
    }

    /// <summary>Creates and starts an actor system named <paramref name="name"/> (the cluster name).</summary>
    public static ActorSystem Create(string name, HoconConfig? config = null) => Create(name, new ActorSystemSetup { Config = config });

    public static ActorSystem Create(string name, ActorSystemSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        return new ActorSystem(name, setup);
    }

    /// <summary>The defaults every system starts from: <c>hocon/reference.conf</c>, embedded in this assembly.</summary>
    public static Lazy<HoconConfig> ReferenceConfig { get; } = new(LoadReferenceConfig);

    public string Name { get; }

    public Address Address { get; }

    /// <summary>The resolved configuration: what the setup gave, over the reference defaults.</summary>
    public HoconConfig Config { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The runtime's own logger.</summary>
    public ILogger Log { get; }

    public Scheduler Scheduler { get; }

    public Dispatchers Dispatchers { get; }

    public EventStream EventStream { get; } = new();

    /// <summary>Messages sent here are published as <see cref="DeadLetter"/>.</summary>
    public IActorRef DeadLetters { get; }

    /// <summary>Stable manifests and the serializer for messages that cross hosts or are persisted.</summary>
    public SerializerRegistry Serialization { get; }

    /// <summary>Completes once the system has stopped.</summary>
    public Task WhenTerminated => _terminated.Task;

    internal ActorPath TempRoot { get; }

    /// <summary>Creates a top-level actor under <c>/user</c>.</summary>
    public IActorRef ActorOf(Props props, string? name = null) => _user.Cell.ActorOf(props, name);

    /// <summary>Creates a runtime actor under <c>/system</c>.</summary>
    public IActorRef SystemActorOf(Props props, string? name = null) => _system.Cell.ActorOf(props, name);

    /// <summary>Stops <paramref name="actor"/> after the message it is processing.</summary>
    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ((ActorRefBase)actor).SendSystemMessage(SystemMessage.Terminate.Instance);
    }

    /// <summary>The actor at <paramref name="path"/> in this system, or null when there is none.</summary>
    public IActorRef? ResolveActorRef(ActorPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.Address.Equals(Address))
        {
            return null;
        }
        var current = _root;
        foreach (var element in path.Elements)
        {
            if (current.Cell.FindChild(element) is not { } child)
            {
                return null;
            }
            current = child;
        }
        return current;
    }

    /// <summary>
    /// Stops every user actor (children before parents, each running PostStop), then the
    /// runtime's own actors and threads. Completes with <see cref="WhenTerminated"/>.
    /// </summary>
    public async Task Terminate()
    {
        if (Interlocked.Exchange(ref _terminating, 1) == 0)
        {
            // User actors stop first, so their PostStop can still use the runtime's actors.
            var userStopped = new PromiseActorRef(this, _user, messageType: null, Timeout.InfiniteTimeSpan);
            ((ActorRefBase)_user).SendSystemMessage(new SystemMessage.Watch(_user, userStopped));
            Stop(_user);
            await userStopped.Task.ConfigureAwait(false);
            Stop(_root);
        }
        await WhenTerminated.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await Terminate().ConfigureAwait(false);

    internal void RootStopped()
    {
        Dispatchers.Shutdown();
        RuntimeLog.Stopped(Log, Name);
        _terminated.TrySetResult();
    }

    /// <summary>Publishes an undeliverable message and logs the first few (config <c>actors.log-dead-letters</c>).</summary>
    internal void DeadLetter(object message, IActorRef sender, IActorRef recipient)
    {
        EventStream.Publish(new DeadLetter(message, sender, recipient));
        if (_deadLettersToLog <= 0)
        {
            return;
        }
        var logged = Interlocked.Increment(ref _deadLettersLogged);
        if (logged <= _deadLettersToLog)
        {
            RuntimeLog.DeadLetter(Log, message.GetType().Name, sender.Path.ToString(), recipient.Path.ToString());
        }
        else if (logged == _deadLettersToLog + 1)
        {
            RuntimeLog.DeadLetterLoggingStopped(Log, _deadLettersToLog);
        }
    }

    internal static long NextTempId() => Interlocked.Increment(ref s_tempId);

    private static HoconConfig LoadReferenceConfig()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("reference.conf")
            ?? throw new InvalidOperationException("The embedded reference.conf is missing from the Actors assembly.");
        using var reader = new StreamReader(stream);
        return ConfigFactory.ParseString(reader.ReadToEnd(), "reference.conf");
    }
}
