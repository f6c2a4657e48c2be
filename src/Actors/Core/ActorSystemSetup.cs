using Microsoft.Extensions.Logging;

namespace Actors.Core;

/// <summary>What an actor system is built with, beside its name.</summary>
public sealed record ActorSystemSetup
{
    /// <summary>Configuration layered over the embedded <c>reference.conf</c>.</summary>
    public Config.Config? Config { get; init; }

    /// <summary>Where the runtime and actors log; nothing is logged when unset.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock of timers and the scheduler: real time unless a <see cref="Scheduling.VirtualClock"/> is given.</summary>
    public TimeProvider? Clock { get; init; }
}
