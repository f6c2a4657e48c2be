using Actors.Config;
using Actors.Core;
using Actors.TestKit;
using Xunit.Abstractions;

namespace Actors.Tests.TestKit;

/// <summary>The TestKit's timeouts and the time factor that stretches them on slow machines.</summary>
public sealed class TestKitSettingsTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    [Fact]
    public void Dilated_multiplies_a_duration_by_the_time_factor()
    {
        var settings = new TestKitSettings(WithReference("actors.test.timefactor = 2.5"));

        Assert.Equal(2.5, settings.TimeFactor);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.Dilated(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_time_factor_that_is_not_positive_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TestKitSettings(WithReference("actors.test.timefactor = 0")));
    }

    [Fact]
    public void Dilated_leaves_an_infinite_timeout_infinite()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, Dilated(Timeout.InfiniteTimeSpan));
    }

    private static Actors.Config.Config WithReference(string hocon) =>
        ConfigFactory.ParseString(hocon, "test").WithFallback(ActorSystem.ReferenceConfig.Value).Resolve();
}
