using System.Collections.Immutable;
using Actors.IoThreads;
using Microsoft.Extensions.Time.Testing;
using Nodes.Drivers;

namespace Nodes.Tests.Drivers;

/// <summary>A manual IoThread loop on a virtual clock: tests open nodes and run requests on it step by step.</summary>
internal sealed class LoopFixture
{
    public FakeTimeProvider Clock { get; } = new();

    public EventLoop Loop { get; }

    public DriverRegistry Drivers { get; } = DriverRegistry.CreateDefault();

    public LoopFixture() => Loop = new EventLoop("test", Clock, manual: true);

    /// <summary>Starts <paramref name="work"/> on the loop and steps the loop until it has nothing left to do.</summary>
    public Task<T> Run<T>(Func<Task<T>> work)
    {
        Task<T>? task = null;
        Loop.Post(() => task = work());
        Loop.RunUntilIdle();
        return task!;
    }

    public Task Run(Func<Task> work) => Run(async () =>
    {
        await work();
        return true;
    });

    public BlockNode Open(string driver, string name, string options = "", params (string Role, BlockNode Child)[] children)
    {
        var parsed = options.Length == 0
            ? ImmutableSortedDictionary<string, string>.Empty
            : options.Split(',').Select(kv => kv.Split('=', 2)).ToImmutableSortedDictionary(kv => kv[0], kv => kv[1]);
        var opened = Run(() => Drivers.OpenAsync(driver, new NodeSettings(name, parsed, Clock), children.ToDictionary(c => c.Role, c => c.Child)).AsTask());
        Assert.True(opened.IsCompleted, $"opening {name} did not complete");
        return opened.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Moves virtual time forward a millisecond at a time, letting the loop run whatever fell due
    /// after each step, as a loop woken by real time would.
    /// </summary>
    public void Advance(TimeSpan by)
    {
        var step = TimeSpan.FromMilliseconds(1);
        for (var left = by; left > TimeSpan.Zero; left -= step)
        {
            Clock.Advance(left < step ? left : step);
            Loop.RunUntilIdle();
        }
    }
}
