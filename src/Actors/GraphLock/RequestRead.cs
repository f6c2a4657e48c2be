namespace Actors.GraphLock;

/// <summary>
/// Runs <paramref name="Read"/> on the Coordinator and answers its result. Reads on the
/// Coordinator need no lock: it is the only writer and never races itself. In-process only.
/// </summary>
public sealed record RequestRead(Func<object> Read);
