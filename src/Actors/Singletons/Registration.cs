using Akka.Actor;

namespace Actors.Singletons;

/// <summary>
/// Keeps an actor registered with a service that can move or restart: the Coordinator (a cluster
/// singleton) for a host's aggregator, the graph's owner (a singleton behind a back-off
/// supervisor) for a host's live nodes. The actor registers through a registrar (the service
/// itself, its supervisor, or the singleton's proxy), then deals with the service that answered
/// and watches it. While no service has answered it registers again every <see cref="Every"/>:
/// a proxy may still send a try to the service that died, and a supervisor answers one with a
/// failure while its child restarts. A service that starts announces itself
/// (<see cref="SingletonStarted"/>), and the actor registers with it directly, without waiting
/// for its proxy to find it.
/// </summary>
/// <remarks>
/// Owned by one actor, which routes <see cref="Tick"/> to <see cref="RegisterAgain"/>, and
/// calls <see cref="Answered"/>, <see cref="Lost"/> and <see cref="Announced"/> from its handlers.
/// </remarks>
public sealed class Registration(IActorContext context, ITimerScheduler timers, IActorRef registrar, Func<object> request)
{
    /// <summary>How often an actor that no service answered yet registers again.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(250);

    /// <summary>Where the actor registers when no service announced itself.</summary>
    public IActorRef Registrar { get; } = registrar;

    /// <summary>The service that answered, until it is lost; null while registering.</summary>
    public IActorRef? Service { get; private set; }

    /// <summary>Registers through the registrar, now and every <see cref="Every"/> until answered.</summary>
    public void Start() => StartWith(Registrar);

    /// <summary>The timer's try: through the registrar.</summary>
    public void RegisterAgain() => Registrar.Tell(request(), context.Self);

    /// <summary>
    /// <paramref name="service"/> answered: the actor deals with it from now on and watches it.
    /// Returns whether it is another service than the one answered before.
    /// </summary>
    public bool Answered(IActorRef service)
    {
        timers.Cancel(Tick.Instance);
        if (service.Equals(Service))
        {
            return false;
        }
        if (Service is not null)
        {
            context.Unwatch(Service);
        }
        Service = service;
        context.Watch(service);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="terminated"/> is the service's death; if so the actor registers
    /// again (the caller forgets what it had from it).
    /// </summary>
    public bool Lost(Terminated terminated)
    {
        if (Service is null || !terminated.ActorRef.Equals(Service))
        {
            return false;
        }
        Service = null;
        Start();
        return true;
    }

    /// <summary>
    /// <paramref name="service"/> just started and announced itself. Returns false when it is the
    /// service already answered; else the actor leaves the old one (the caller forgets what it had
    /// from it) and registers with the new one directly.
    /// </summary>
    public bool Announced(IActorRef service)
    {
        if (service.Equals(Service))
        {
            return false;
        }
        if (Service is not null)
        {
            context.Unwatch(Service);
            Service = null;
        }
        StartWith(service);
        return true;
    }

    private void StartWith(IActorRef target)
    {
        target.Tell(request(), context.Self);
        timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, Every);
    }

    /// <summary>The timer's message: the owning actor calls <see cref="RegisterAgain"/> on it.</summary>
    public sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
