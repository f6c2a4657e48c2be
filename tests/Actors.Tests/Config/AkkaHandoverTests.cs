using Actors.Config;
using AkkaConfig = Akka.Configuration.Config;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;
using HoconConfig = Actors.Config.Config;

namespace Actors.Tests.Config;

public sealed class AkkaHandoverTests : IDisposable
{
    private const string LoggerFactoryLogger = "Actors.Config.AkkaLogger, Actors";
    private readonly string _dir = Directory.CreateTempSubdirectory("akka-handover-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static HoconConfig Reference => ConfigFactory.Reference();

    // Our text over reference.conf, resolved, as the host does it.
    private static HoconConfig Resolve(string text) =>
        ConfigFactory.ParseString(text, "test.conf").WithFallback(Reference).Resolve();

    private static AkkaConfig ToAkka(string text) => AkkaHandover.ToAkka(Resolve(text));

    [Fact]
    public async Task The_reference_defaults_reach_the_Akka_system()
    {
        var system = AkkaHandover.CreateSystem("handover", Reference.Resolve(), loggerFactory: null);
        try
        {
            Assert.Equal("INFO", system.Settings.LogLevel);
            Assert.Equal("OFF", system.Settings.StdoutLogLevel);
            Assert.Equal([LoggerFactoryLogger], system.Settings.Loggers);
            Assert.False(system.Settings.LogConfigOnStart);
            Assert.False(system.Settings.LogDeadLettersDuringShutdown);
            Assert.Equal(Reference.GetInt("actors.log-dead-letters"), system.Settings.LogDeadLetters);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task An_akka_setting_given_with_set_reaches_the_Akka_system()
    {
        var resolved = ConfigFactory.FromAssignments(["akka.loglevel=DEBUG"]).WithFallback(Reference).Resolve();

        var system = AkkaHandover.CreateSystem("handover", resolved, loggerFactory: null);
        try
        {
            Assert.Equal("DEBUG", system.Settings.Config.GetString("akka.loglevel"));
            Assert.Equal("DEBUG", system.Settings.LogLevel);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void An_akka_setting_given_in_a_config_file_reaches_Akka()
    {
        var file = Path.Combine(_dir, "host.conf");
        File.WriteAllText(file, "akka {\n  loglevel = WARNING\n}\n");

        var akka = AkkaHandover.ToAkka(ConfigFactory.ParseFile(file).WithFallback(Reference).Resolve());

        Assert.Equal("WARNING", akka.GetString("akka.loglevel"));
    }

    [Fact]
    public void A_substitution_reaches_Akka_as_its_resolved_value()
    {
        var akka = ToAkka("""
            levels.chosen = WARNING
            timeouts.create = 7s
            akka.loglevel = ${levels.chosen}
            akka.actor.creation-timeout = ${timeouts.create}
            """);

        Assert.Equal("WARNING", akka.GetString("akka.loglevel"));
        Assert.Equal(TimeSpan.FromSeconds(7), akka.GetTimeSpan("akka.actor.creation-timeout"));
    }

    [Fact]
    public void An_optional_environment_substitution_reaches_Akka_resolved()
    {
        const string name = "ACTORS_TEST_HANDOVER_LOGLEVEL";
        Environment.SetEnvironmentVariable(name, "ERROR");
        try
        {
            var akka = ToAkka($$"""
                akka.loglevel = ${?{{name}}}
                akka.stdout-loglevel = ${?{{name}}_UNSET}
                """);

            Assert.Equal("ERROR", akka.GetString("akka.loglevel"));
            Assert.Equal("OFF", akka.GetString("akka.stdout-loglevel"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void An_array_appended_to_with_plus_equals_reaches_Akka_with_every_element()
    {
        var akka = ToAkka("akka.loggers += \"Akka.Event.DefaultLogger\"");

        Assert.Equal([LoggerFactoryLogger, "Akka.Event.DefaultLogger"], akka.GetStringList("akka.loggers"));
    }

    [Fact]
    public void A_self_referencing_array_reaches_Akka_resolved()
    {
        var akka = ToAkka("""
            akka.test.list = [1]
            akka.test.list = ${akka.test.list} [2]
            """);

        Assert.Equal(["1", "2"], akka.GetStringList("akka.test.list"));
    }

    [Fact]
    public void A_config_that_is_not_resolved_yet_is_resolved_on_the_way()
    {
        var unresolved = ConfigFactory.ParseString("a = 1\nakka.test.b = ${a}");

        Assert.Equal(1, AkkaHandover.ToAkka(unresolved).GetInt("akka.test.b"));
    }

    [Fact]
    public void Keys_outside_akka_reach_Akka_too()
    {
        var akka = ToAkka("");

        Assert.Equal(Reference.GetString("actors.host"), akka.GetString("actors.host"));
        Assert.Equal(Reference.GetStringList("host.iothreads"), akka.GetStringList("host.iothreads"));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("two words")]
    [InlineData("quote \" inside")]
    [InlineData("back\\slash")]
    [InlineData("line\nbreak and\ttab")]
    [InlineData("control \u0001\b\f chars")]
    [InlineData("unicode é ü 日本")]
    [InlineData("${not.a.substitution}")]
    [InlineData("a, b = c: d")]
    [InlineData("# not a comment // nor this")]
    [InlineData("{ [ not structure ] }")]
    [InlineData("true")]
    [InlineData("42")]
    [InlineData("")]
    public void A_string_reaches_Akka_exactly_as_our_parser_read_it(string value)
    {
        var ours = Resolve($"akka.test.value = {HoconRenderer.Quote(value)}");

        var akka = AkkaHandover.ToAkka(ours);

        Assert.Equal(value, ours.GetString("akka.test.value"));
        Assert.Equal(value, akka.GetString("akka.test.value"));
    }

    [Fact]
    public void Keys_with_dots_spaces_slashes_and_the_word_include_reach_Akka()
    {
        var akka = ToAkka("""
            akka.test { "a.b" = 1, "with space" = 2, "include" = 3, "" = 4 }
            akka.actor.deployment { "/user/pool/*" { router = round-robin-pool, nr-of-instances = 5 } }
            """);

        Assert.Equal(1, akka.GetInt("akka.test.\"a.b\""));
        Assert.Equal(2, akka.GetInt("akka.test.\"with space\""));
        Assert.Equal(3, akka.GetInt("akka.test.include"));
        Assert.Equal(4, akka.GetInt("akka.test.\"\""));
        Assert.Equal(5, akka.GetInt("akka.actor.deployment.\"/user/pool/*\".nr-of-instances"));
    }

    [Fact]
    public void Numbers_booleans_nulls_and_empty_values_reach_Akka()
    {
        var akka = ToAkka("""
            akka.test {
              exponent = 1e3
              fraction = -0.5
              big = 9007199254740993
              leading-zero = 007
              yes = true
              on-word = on
              nothing = null
              empty-object {}
              empty-list = []
              objects = [{ a = 1 }, { a = 2 }]
              nested = [[1, 2], [3]]
            }
            """);

        Assert.Equal(1000, akka.GetInt("akka.test.exponent"));
        Assert.Equal(-0.5, akka.GetDouble("akka.test.fraction"));
        Assert.Equal(9007199254740993L, akka.GetLong("akka.test.big"));
        Assert.Equal(7, akka.GetInt("akka.test.leading-zero"));
        Assert.True(akka.GetBoolean("akka.test.yes"));
        Assert.True(akka.GetBoolean("akka.test.on-word"));
        Assert.Null(akka.GetString("akka.test.nothing"));
        Assert.True(akka.GetConfig("akka.test.empty-object").IsEmpty);
        Assert.Empty(akka.GetStringList("akka.test.empty-list"));
        Assert.Equal([1, 2], akka.GetValue("akka.test.objects").GetArray().Select(o => o.GetObject().GetKey("a").GetInt()));
        Assert.Equal([2, 1], akka.GetValue("akka.test.nested").GetArray().Select(a => a.GetArray().Count));
    }

    [Fact]
    public void Plugin_defaults_lie_under_our_config_in_the_order_given_and_over_Akkas_own()
    {
        var first = AkkaConfigurationFactory.ParseString("akka.loglevel = ERROR\nakka.plugin.x = first\nakka.actor.ask-timeout = 3s");
        var second = AkkaConfigurationFactory.ParseString("akka.plugin.x = second\nakka.plugin.y = second");

        var akka = AkkaHandover.ToAkka(Reference.Resolve(), first, second);

        Assert.Equal("INFO", akka.GetString("akka.loglevel"));
        Assert.Equal("first", akka.GetString("akka.plugin.x"));
        Assert.Equal("second", akka.GetString("akka.plugin.y"));
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.actor.ask-timeout"));
        Assert.Equal(
            AkkaConfigurationFactory.Default().GetString("akka.actor.default-dispatcher.type"),
            akka.GetString("akka.actor.default-dispatcher.type"));
    }

    [Fact]
    public void An_akka_string_with_leading_or_trailing_whitespace_is_an_error_naming_the_key()
    {
        var e = Assert.Throws<ConfigException>(() => ToAkka("akka.test.padded = \" secret\""));

        Assert.Equal("test.conf", e.Origin);
        Assert.Contains("akka.test.padded", e.Message);
        Assert.Contains("trims", e.Message);
    }

    [Fact]
    public void A_string_with_whitespace_outside_akka_is_not_an_error()
    {
        var akka = ToAkka("host.test.padded = \" x \"");

        Assert.True(akka.HasPath("host.test.padded"));
    }
}
