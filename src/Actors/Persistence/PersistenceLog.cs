using Microsoft.Extensions.Logging;

namespace Actors.Persistence;

/// <summary>Persistence's log messages.</summary>
internal static partial class PersistenceLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Persistent actor {Actor} could not persist event {SequenceNr} ({EventType}) of '{PersistenceId}'; it stops")]
    public static partial void PersistFailed(ILogger logger, string actor, long sequenceNr, string eventType, string persistenceId, Exception cause);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Persistent actor {Actor} could not recover '{PersistenceId}' (last sequence number applied: {SequenceNr}); it stops")]
    public static partial void RecoveryFailed(ILogger logger, string actor, string persistenceId, long sequenceNr, Exception cause);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Saving the snapshot of '{PersistenceId}' at {SequenceNr} failed")]
    public static partial void SnapshotSaveFailed(ILogger logger, string persistenceId, long sequenceNr, Exception cause);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Persistent actor {Actor} has no recovery handler for SnapshotOffer; '{PersistenceId}' is recovered from its events alone")]
    public static partial void SnapshotIgnored(ILogger logger, string actor, string persistenceId);

    [LoggerMessage(EventId = 304, Level = LogLevel.Debug, Message = "Persistent actor {Actor} recovered '{PersistenceId}' up to {SequenceNr}: snapshot at {SnapshotSequenceNr}, {Events} events replayed")]
    public static partial void Recovered(ILogger logger, string actor, string persistenceId, long sequenceNr, long snapshotSequenceNr, long events);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "Closing the journal of actor system {System} failed")]
    public static partial void StoreDisposeFailed(ILogger logger, string system, Exception cause);
}
