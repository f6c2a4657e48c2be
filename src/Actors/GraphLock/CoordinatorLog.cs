using Microsoft.Extensions.Logging;

namespace Actors.GraphLock;

/// <summary>The graph lock's log messages.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Graph-lock context {Context} died; its readers died with it and no longer count")]
    public static partial void ContextDied(ILogger logger, string context);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Write '{Reason}' (epoch {Epoch}) failed; the write section was unlocked")]
    public static partial void WriteFailed(ILogger logger, string reason, long epoch, Exception cause);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Deferred action '{Description}' failed; the next deferred actions still run")]
    public static partial void DeferredActionFailed(ILogger logger, string description, Exception cause);
}
