using HoconConfig = Actors.Config.Config;

namespace Actors.TestKit;

/// <summary>The TestKit's timeouts, from <c>actors.test</c> in the config (see hocon/reference.conf).</summary>
public sealed class TestKitSettings
{
    public TestKitSettings(HoconConfig config)
    {
        var test = config.GetConfig("actors.test");
        TimeFactor = test.GetDouble("timefactor");
        if (TimeFactor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(config), TimeFactor, "actors.test.timefactor must be positive.");
        }
        SingleExpectDefault = test.GetTimeSpan("single-expect-default");
        ExpectNoMessageDefault = test.GetTimeSpan("expect-no-message-default");
    }

    /// <summary>Multiplies every timeout (slow machines raise it).</summary>
    public double TimeFactor { get; }

    /// <summary>How long an expectation waits when given no duration (before the factor).</summary>
    public TimeSpan SingleExpectDefault { get; }

    /// <summary>How long <c>ExpectNoMsg</c> waits when given no duration (before the factor).</summary>
    public TimeSpan ExpectNoMessageDefault { get; }

    /// <summary><paramref name="duration"/> scaled by <see cref="TimeFactor"/>.</summary>
    public TimeSpan Dilated(TimeSpan duration) =>
        duration == Timeout.InfiniteTimeSpan ? duration : TimeSpan.FromTicks((long)(duration.Ticks * TimeFactor));
}
