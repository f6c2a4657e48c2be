using Actors.Scheduling;

namespace Actors.Tests.Scheduling;

/// <summary>The virtual clock: time moves only in <see cref="VirtualClock.Advance"/>, and timers fire there, in a fixed order.</summary>
public sealed class VirtualClockTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private readonly VirtualClock _clock = new();
    private readonly List<string> _fired = [];

    [Fact]
    public void Timers_fire_in_deadline_order()
    {
        CreateTimer("third", 3 * Second);
        CreateTimer("first", Second);
        CreateTimer("second", 2 * Second);

        _clock.Advance(5 * Second);

        Assert.Equal(["first", "second", "third"], _fired);
    }

    [Fact]
    public void Timers_with_the_same_deadline_fire_in_creation_order()
    {
        CreateTimer("a", Second);
        CreateTimer("b", Second);
        CreateTimer("c", Second);

        _clock.Advance(Second);

        Assert.Equal(["a", "b", "c"], _fired);
    }

    [Fact]
    public void A_timer_does_not_fire_before_its_deadline()
    {
        CreateTimer("late", Second);

        _clock.Advance(Second - TimeSpan.FromTicks(1));

        Assert.Empty(_fired);
        Assert.Equal(1, _clock.PendingTimers);
    }

    [Fact]
    public void A_callback_sees_the_clock_at_its_own_deadline_and_Advance_ends_at_the_target()
    {
        var start = _clock.GetUtcNow();
        DateTimeOffset? seen = null;
        using var timer = _clock.CreateTimer(_ => seen = _clock.GetUtcNow(), null, Second, Timeout.InfiniteTimeSpan);

        _clock.Advance(5 * Second);

        Assert.Equal(start + Second, seen);
        Assert.Equal(start + 5 * Second, _clock.GetUtcNow());
    }

    [Fact]
    public void Timestamps_move_with_the_clock()
    {
        var before = _clock.GetTimestamp();

        _clock.Advance(2 * Second);

        Assert.Equal(2 * Second, _clock.GetElapsedTime(before));
    }

    [Fact]
    public void A_periodic_timer_fires_once_per_period_passed()
    {
        using var timer = _clock.CreateTimer(_ => _fired.Add("tick"), null, Second, Second);

        _clock.Advance(3.5 * Second);

        Assert.Equal(["tick", "tick", "tick"], _fired);
    }

    [Fact]
    public void Change_moves_the_deadline()
    {
        var timer = CreateTimer("moved", Second);

        timer.Change(5 * Second, Timeout.InfiniteTimeSpan);
        _clock.Advance(Second);
        Assert.Empty(_fired);
        _clock.Advance(4 * Second);

        Assert.Equal(["moved"], _fired);
    }

    [Fact]
    public void Change_to_an_infinite_due_time_disarms_the_timer()
    {
        var timer = CreateTimer("never", Second);

        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(_fired);
        Assert.Equal(0, _clock.PendingTimers);
    }

    [Fact]
    public void A_disposed_timer_never_fires()
    {
        var timer = CreateTimer("never", Second);

        timer.Dispose();
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(_fired);
        Assert.Equal(0, _clock.PendingTimers);
    }

    [Fact]
    public void A_timer_created_by_a_callback_fires_in_the_same_Advance_when_its_deadline_falls_within_it()
    {
        _clock.CreateTimer(_ =>
        {
            _fired.Add("outer");
            CreateTimer("inner", Second);
        }, null, Second, Timeout.InfiniteTimeSpan);

        _clock.Advance(2 * Second);

        Assert.Equal(["outer", "inner"], _fired);
    }

    [Fact]
    public void Advance_refuses_to_move_time_backwards()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _clock.Advance(-Second));
    }

    private ITimer CreateTimer(string name, TimeSpan due) =>
        _clock.CreateTimer(_ => _fired.Add(name), null, due, Timeout.InfiniteTimeSpan);
}
