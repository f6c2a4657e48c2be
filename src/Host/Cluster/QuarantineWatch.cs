using Akka.Actor;
using Akka.Remote;

namespace Host.Cluster;

/// <summary>
/// Stops the host when another member has quarantined it (Akka's
/// <see cref="ThisActorSystemQuarantinedEvent"/>): the cluster removed this incarnation of the host,
/// which can never join again; only a restart can. Akka.Cluster does not act on that event, so a host
/// that stalled past its removal (a paused VM, a long GC) and then came back could otherwise linger
/// outside the cluster for as long as it still saw a member as reachable.
/// </summary>
public sealed class QuarantineWatch : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "quarantine-watch";

    public QuarantineWatch() =>
        Receive<ThisActorSystemQuarantinedEvent>(e => CoordinatedShutdown.Get(Context.System).Run(new Quarantined(e.RemoteAddress)));

    public static Props Props() => Akka.Actor.Props.Create<QuarantineWatch>();

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>Why the host stopped: the member at <paramref name="by"/> quarantined it.</summary>
    public sealed class Quarantined(Address by) : CoordinatedShutdown.Reason
    {
        /// <summary>The member that quarantined this host.</summary>
        public Address By => by;

        /// <summary>Akka's exit code for a downed member; the host exits with 1 all the same.</summary>
        public override int ExitCode => 3;

        public override string ToString() => $"quarantined by {by}";
    }
}
