namespace Actors.Dispatch;

/// <summary>Decides which thread runs an actor's mailbox when it has work.</summary>
public abstract class Dispatcher
{
    protected Dispatcher(string id, int throughput)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(throughput, 1);
        Id = id;
        Throughput = throughput;
    }

    /// <summary>The id actors name in <c>Props.WithDispatcher</c> (a key under <c>actors.dispatchers</c>).</summary>
    public string Id { get; }

    /// <summary>How many user messages one run processes before the mailbox yields its thread.</summary>
    public int Throughput { get; }

    /// <summary>Called once when an actor's mailbox is created on this dispatcher.</summary>
    internal virtual void Attach(Mailbox mailbox, string actorPath)
    {
    }

    /// <summary>Runs <paramref name="mailbox"/> soon; called once per idle→scheduled transition.</summary>
    internal abstract void Schedule(Mailbox mailbox);

    /// <summary>Called once when the actor stopped; the mailbox never runs again.</summary>
    internal virtual void Detach(Mailbox mailbox)
    {
    }

    /// <summary>Releases the dispatcher's threads once the system has stopped.</summary>
    internal virtual void Shutdown()
    {
    }
}
