using Actors.Config;
using AkkaConfig = Akka.Configuration.Config;

namespace Actors.Tests.Config;

public sealed class AkkaUnitsTests
{
    private static AkkaConfig ToAkka(string text) => AkkaHandover.ToAkka(ConfigFactory.ParseString(text, "test.conf"));

    [Theory]
    [InlineData("10us")]
    [InlineData("10 us")]
    [InlineData("1500ns")]
    [InlineData("1.5us")]
    [InlineData("7 microseconds")]
    [InlineData("1e3ms")]
    [InlineData("2.5e1s")]
    public void Akka_reads_a_duration_in_a_unit_it_lacks_as_our_parser_does(string duration)
    {
        var ours = ConfigFactory.ParseString($"akka.actor.creation-timeout = \"{duration}\"");

        var akka = AkkaHandover.ToAkka(ours);

        Assert.Equal(ours.GetTimeSpan("akka.actor.creation-timeout"), akka.GetTimeSpan("akka.actor.creation-timeout"));
    }

    [Fact]
    public void Ten_microseconds_reach_Akka_in_its_own_unit()
    {
        Assert.Equal("10micros", ToAkka("akka.actor.creation-timeout = 10us").GetString("akka.actor.creation-timeout"));
    }

    [Theory]
    [InlineData("10s")]
    [InlineData("250ms")]
    [InlineData("1.5 h")]
    [InlineData("3 days")]
    [InlineData("10m")]
    [InlineData("infinite")]
    [InlineData("100")]
    [InlineData("64M")]
    [InlineData("10kB")]
    [InlineData("2GiB")]
    [InlineData("localhost")]
    [InlineData("10 apples")]
    public void A_value_Akka_already_reads_as_we_do_reaches_it_unchanged(string value)
    {
        Assert.Equal(value, ToAkka($"akka.test.value = \"{value}\"").GetString("akka.test.value"));
    }

    [Theory]
    [InlineData("1.5K", 1536)]
    [InlineData("10KB", 10_000)]
    [InlineData("0.5 MiB", 524_288)]
    [InlineData("1e3", 1000)]
    public void Akka_reads_a_size_it_lacks_as_our_parser_does(string size, long bytes)
    {
        var akka = ToAkka($"akka.test.size = \"{size}\"");

        Assert.Equal(bytes, akka.GetByteSize("akka.test.size"));
    }

    [Fact]
    public void A_negative_duration_under_akka_is_an_error_naming_the_key_and_its_place()
    {
        var e = Assert.Throws<ConfigException>(() => ToAkka("\nakka.test.delay = -5s"));

        Assert.Equal(("test.conf", 2), (e.Origin, e.Line));
        Assert.Contains("akka.test.delay", e.Message);
        Assert.Contains("negative", e.Message);
    }

    [Fact]
    public void A_duration_outside_akka_reaches_Akka_as_written()
    {
        Assert.Equal("10us", ToAkka("actors.test.delay = 10us").GetString("actors.test.delay"));
    }

    [Fact]
    public void A_unit_in_an_akka_array_is_brought_to_Akkas_form_too()
    {
        var akka = ToAkka("akka.test.delays = [10us, 1s]");

        Assert.Equal(["10micros", "1s"], akka.GetStringList("akka.test.delays"));
    }
}
