using Nodes.Drivers;

namespace Nodes.Tests.Qcow2;

public sealed class RangeLockTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_overlapping_range_waits_for_the_holder_and_a_disjoint_one_does_not()
    {
        var ranges = new RangeLock();
        var first = await ranges.LockAsync(0, 100);

        var overlapping = ranges.LockAsync(90, 10).AsTask();
        var disjoint = ranges.LockAsync(100, 10).AsTask();
        Assert.True(disjoint.IsCompletedSuccessfully);
        Assert.False(overlapping.IsCompleted);

        first.Dispose();
        (await overlapping.WaitAsync(Timeout)).Dispose();
        (await disjoint).Dispose();
        Assert.True(ranges.LockAsync(0, 1000).IsCompletedSuccessfully);
    }
}
