namespace Actors.GraphLock;

/// <summary>
/// The graph is the caller's alone while this is open: every context has drained its readers
/// and parks new ones. Given to the body of a <see cref="RequestWrite"/>, on the Coordinator.
/// </summary>
public sealed class WriteSection
{
    private readonly Coordinator _coordinator;

    internal WriteSection(Coordinator coordinator, long epoch)
    {
        _coordinator = coordinator;
        Epoch = epoch;
    }

    public long Epoch { get; }

    /// <summary>False once the write section was unlocked.</summary>
    public bool IsOpen { get; private set; } = true;

    /// <summary>
    /// Runs <paramref name="action"/> right after write-unlock, once parked readers resumed, in
    /// the order deferred, exactly once (QEMU's <c>bdrv_schedule_unref</c>). It may request
    /// writes of its own through its <see cref="DeferredContext"/>.
    /// </summary>
    public void Defer(string description, Func<DeferredContext, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        AssertWritable();
        _coordinator.Defer(new DeferredAction(description, action));
    }

    /// <summary>Throws unless this write section is open and the caller runs on the Coordinator.</summary>
    public void AssertWritable()
    {
        if (!IsOpen)
        {
            throw new InvalidOperationException($"Write section {Epoch} is closed: the graph may no longer be changed through it.");
        }
        _coordinator.AssertOnCoordinator();
    }

    internal void Close() => IsOpen = false;
}
