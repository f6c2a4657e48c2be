namespace Actors.GraphLock;

/// <summary>What a deferred action may do: take the write lock itself (it is given before queued writers).</summary>
public sealed class DeferredContext
{
    private readonly Coordinator _coordinator;

    internal DeferredContext(Coordinator coordinator) => _coordinator = coordinator;

    /// <summary>Runs <paramref name="body"/> in a new write section; completes at its unlock.</summary>
    public Task<WriteCompleted> WriteAsync(string reason, Func<WriteSection, Task> body) => _coordinator.NestedWrite(reason, body);
}
