using Actors.Config;

namespace Actors.Tests.Config;

public sealed class UnitTests
{
    private static Actors.Config.Config Value(string value) => ConfigFactory.ParseString($"v = {value}", "units.conf");

    [Theory]
    [InlineData("100ns", 1)]
    [InlineData("250 nanoseconds", 2)]
    [InlineData("5us", 50)]
    [InlineData("5 microseconds", 50)]
    [InlineData("1 microsecond", 10)]
    [InlineData("250ms", 2_500_000)]
    [InlineData("250 millisecond", 2_500_000)]
    [InlineData("250 milliseconds", 2_500_000)]
    [InlineData("2s", 20_000_000)]
    [InlineData("2 second", 20_000_000)]
    [InlineData("2 seconds", 20_000_000)]
    [InlineData("3m", 1_800_000_000)]
    [InlineData("3 minute", 1_800_000_000)]
    [InlineData("3 minutes", 1_800_000_000)]
    [InlineData("1h", 36_000_000_000)]
    [InlineData("1 hour", 36_000_000_000)]
    [InlineData("1.5 hours", 54_000_000_000)]
    [InlineData("2d", 1_728_000_000_000)]
    [InlineData("2 day", 1_728_000_000_000)]
    [InlineData("2 days", 1_728_000_000_000)]
    [InlineData("\"10 s\"", 100_000_000)]
    public void GetTimeSpan_reads_every_duration_unit_in_long_and_short_form(string value, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), Value(value).GetTimeSpan("v"));
    }

    [Theory]
    [InlineData("1500")]
    [InlineData("\"1500\"")]
    public void A_bare_duration_number_is_milliseconds(string value)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Value(value).GetTimeSpan("v"));
    }

    [Fact]
    public void Infinite_is_the_infinite_timeout()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, Value("infinite").GetTimeSpan("v"));
    }

    [Theory]
    [InlineData("5S", "unknown duration unit 'S'")]
    [InlineData("5 fortnights", "unknown duration unit 'fortnights'")]
    [InlineData("ms", "expected a number")]
    [InlineData("99999999999d", "out of range")]
    public void Bad_durations_name_the_problem_and_the_position(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Value(value).GetTimeSpan("v"));

        Assert.StartsWith("units.conf:1:5: v: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("10", 10)]
    [InlineData("\"10\"", 10)]
    [InlineData("10B", 10)]
    [InlineData("10b", 10)]
    [InlineData("1 byte", 1)]
    [InlineData("10 bytes", 10)]
    [InlineData("1kB", 1000)]
    [InlineData("1KB", 1000)]
    [InlineData("1 kilobyte", 1000)]
    [InlineData("2 kilobytes", 2000)]
    [InlineData("1K", 1024)]
    [InlineData("1k", 1024)]
    [InlineData("1Ki", 1024)]
    [InlineData("1KiB", 1024)]
    [InlineData("1 kibibyte", 1024)]
    [InlineData("1.5K", 1536)]
    [InlineData("1MB", 1_000_000)]
    [InlineData("1 megabytes", 1_000_000)]
    [InlineData("1M", 1_048_576)]
    [InlineData("1m", 1_048_576)]
    [InlineData("1Mi", 1_048_576)]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("1 mebibyte", 1_048_576)]
    [InlineData("2GB", 2_000_000_000)]
    [InlineData("2G", 2_147_483_648)]
    [InlineData("2 gibibytes", 2_147_483_648)]
    [InlineData("1TB", 1_000_000_000_000)]
    [InlineData("1TiB", 1_099_511_627_776)]
    [InlineData("1PB", 1_000_000_000_000_000)]
    [InlineData("1P", 1_125_899_906_842_624)]
    [InlineData("1EB", 1_000_000_000_000_000_000)]
    [InlineData("1 exbibyte", 1_152_921_504_606_846_976)]
    public void GetBytes_reads_every_size_unit(string value, long bytes)
    {
        Assert.Equal(bytes, Value(value).GetBytes("v"));
    }

    [Theory]
    [InlineData("1ZiB", "out of range")]
    [InlineData("1YB", "out of range")]
    [InlineData("8 exbibytes", "out of range")]
    [InlineData("-1K", "cannot be negative")]
    [InlineData("1 kb", "unknown size unit 'kb'")]
    [InlineData("1 KIB", "unknown size unit 'KIB'")]
    public void Bad_sizes_name_the_problem(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Value(value).GetBytes("v"));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Objects_are_neither_durations_nor_sizes()
    {
        var config = ConfigFactory.ParseString("v { a = 1 }", "units.conf");

        Assert.Contains("expected a duration", Assert.Throws<ConfigException>(() => config.GetTimeSpan("v")).Message);
        Assert.Contains("expected a size", Assert.Throws<ConfigException>(() => config.GetBytes("v")).Message);
    }
}
