using Actors.Serialization;

namespace Actors.IoThreads;

/// <summary>
/// Stops an IoThread cleanly: it unregisters and its reader balance (readers that migrated away
/// and will unlock elsewhere) moves to the orphaned count. Send it only once the IoThread's nodes
/// moved away. Any other end of an IoThread counts as its death: its readers die with it.
/// </summary>
[Manifest("iothread.stop.v1")]
public sealed record StopIoThread
{
    public static readonly StopIoThread Instance = new();
}
