namespace Actors.IoThreads;

/// <summary>
/// Asks the IoThreads' parent to stop one of them cleanly and to answer once it is gone and its
/// name is free again (a watcher of the IoThread itself may hear of its end before that).
/// </summary>
internal sealed record RetireIoThread(string Name);
