using Actors.IoThreads;
using Nodes.Drivers;

namespace Nodes.Tests.Samples;

/// <summary>
/// A filter whose flush waits for a slow disk, as the file node's fdatasync does, until the test
/// opens <see cref="Disk"/>: in a front end's flush outside the graph
/// (<see cref="IoThread.TryWaitOutside"/>), else under the read lock; then it flushes its child.
/// </summary>
public sealed class DiskWaitFilter(NodeSettings settings) : FilterNode(settings)
{
    private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a flush waits for the disk.</summary>
    public Task Waiting => _waiting.Task;

    /// <summary>The disk: a flush goes on once the test sets it.</summary>
    public TaskCompletionSource Disk { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async ValueTask FlushAsync()
    {
        if (IoThread.Current is { } io && io.TryWaitOutside(Name, "flush, waiting for the disk"))
        {
            try
            {
                await WaitForDisk();
            }
            finally
            {
                await io.ReturnToGraphAsync();
            }
        }
        else
        {
            await WaitForDisk();
        }
        await File.FlushAsync();
    }

    private Task WaitForDisk()
    {
        _waiting.TrySetResult();
        return Disk.Task;
    }
}
