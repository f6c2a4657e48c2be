using Actors.Core;

namespace Actors.Supervision;

/// <summary>Applies the decider's directive to the failed child only.</summary>
/// <param name="maxNrOfRetries">Restarts allowed within <paramref name="withinTimeRange"/>; negative means unlimited. Past it, the child is stopped.</param>
/// <param name="withinTimeRange">The window restarts are counted in; <see cref="Timeout.InfiniteTimeSpan"/> counts forever.</param>
/// <param name="decider">Maps the failure to a directive.</param>
public sealed class OneForOneStrategy(int maxNrOfRetries, TimeSpan withinTimeRange, Func<Exception, Directive> decider) : SupervisorStrategy
{
    public OneForOneStrategy(Func<Exception, Directive> decider)
        : this(-1, Timeout.InfiniteTimeSpan, decider)
    {
    }

    public int MaxNrOfRetries { get; } = maxNrOfRetries;

    public TimeSpan WithinTimeRange { get; } = withinTimeRange;

    internal override Directive Decide(IActorRef child, Exception cause, RestartStatistics statistics, DateTimeOffset now)
    {
        var directive = decider(cause);
        if (directive == Directive.Restart && !statistics.RequestRestart(MaxNrOfRetries, WithinTimeRange, now))
        {
            return Directive.Stop;
        }
        return directive;
    }
}
