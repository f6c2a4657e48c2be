namespace Actors.GraphLock;

/// <summary>
/// Asks the Coordinator for a write section. <paramref name="Body"/> runs inside it, on the
/// Coordinator; the requester is answered with <see cref="WriteCompleted"/> at write-unlock,
/// or with <c>Status.Failure</c> if the body threw. In-process only: it carries code.
/// </summary>
public sealed record RequestWrite(string Reason, Func<WriteSection, Task> Body);
