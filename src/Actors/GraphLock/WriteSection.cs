namespace Actors.GraphLock;

/// <summary>
/// The writer's side of a granted write: the graph is its alone while this is open. The writer
/// opens it on <see cref="WriteGranted"/> and closes it when it sends <see cref="ReleaseWrite"/>.
/// </summary>
public sealed class WriteSection(long epoch)
{
    public long Epoch { get; } = epoch;

    /// <summary>False once the writer released the write.</summary>
    public bool IsOpen { get; private set; } = true;

    /// <summary>Throws unless this write section is still open (QEMU's <c>assert_bdrv_graph_writable</c>).</summary>
    public void AssertWritable()
    {
        if (!IsOpen)
        {
            throw new InvalidOperationException($"Write section {Epoch} is closed: the graph may no longer be changed through it.");
        }
    }

    /// <summary>Closes the section; the writer then sends <see cref="ReleaseWrite"/>.</summary>
    public ReleaseWrite Release(bool runDeferred)
    {
        AssertWritable();
        IsOpen = false;
        return new ReleaseWrite(Epoch, runDeferred);
    }
}
