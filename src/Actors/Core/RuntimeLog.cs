using Actors.Supervision;
using Microsoft.Extensions.Logging;

namespace Actors.Core;

/// <summary>The runtime's log messages (source-generated, no allocation when the level is off).</summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Actor {Actor} failed; its supervisor decided: {Directive}")]
    public static partial void ChildFailed(ILogger logger, string actor, Directive directive, Exception cause);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{Hook} of actor {Actor} threw")]
    public static partial void HookFailed(ILogger logger, string hook, string actor, Exception cause);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Actor {Actor} threw while {State}; the failure is not supervised")]
    public static partial void FailureWhileNotRunning(ILogger logger, string actor, string state, Exception cause);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Dead letter: {MessageType} from {Sender} to {Recipient} was not delivered")]
    public static partial void DeadLetter(ILogger logger, string messageType, string sender, string recipient);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Dead letters are no longer logged after {Count}; they are still published on the event stream")]
    public static partial void DeadLetterLoggingStopped(ILogger logger, int count);

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "The root guardian of {System} failed; the system stops")]
    public static partial void RootFailed(ILogger logger, string system, Exception cause);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Actor system {System} started at {Address}")]
    public static partial void Started(ILogger logger, string system, string address);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Actor system {System} stopped")]
    public static partial void Stopped(ILogger logger, string system);
}
