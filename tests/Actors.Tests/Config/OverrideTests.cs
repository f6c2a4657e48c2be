using Actors.Config;

namespace Actors.Tests.Config;

// Every test that sets CONFIG_FORCE_ variables lives in this class, so that xunit runs them one at a
// time: FromEnvironment reads all such variables, including a malformed one set by another test.
public sealed class OverrideTests
{
    private static void WithVariables(IReadOnlyDictionary<string, string> variables, Action test)
    {
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            test();
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Fact]
    public void FromEnvironment_maps_underscores_to_dots_hyphens_and_underscores()
    {
        WithVariables(
            new Dictionary<string, string> { ["CONFIG_FORCE_hocontest_a__b___c"] = "42" },
            () => Assert.Equal(42, ConfigFactory.FromEnvironment().GetInt("hocontest.a-b_c")));
    }

    [Fact]
    public void FromEnvironment_parses_values_as_hocon()
    {
        WithVariables(
            new Dictionary<string, string>
            {
                ["CONFIG_FORCE_hocontest_list"] = "[1, 2]",
                ["CONFIG_FORCE_hocontest_quoted"] = "\"a, b\"",
                ["CONFIG_FORCE_hocontest_words"] = "hello world",
                ["CONFIG_FORCE_hocontest_timeout"] = "10s",
            },
            () =>
            {
                var config = ConfigFactory.FromEnvironment();

                Assert.Equal(["1", "2"], config.GetStringList("hocontest.list"));
                Assert.Equal("a, b", config.GetString("hocontest.quoted"));
                Assert.Equal("hello world", config.GetString("hocontest.words"));
                Assert.Equal(TimeSpan.FromSeconds(10), config.GetTimeSpan("hocontest.timeout"));
            });
    }

    [Fact]
    public void FromEnvironment_overrides_win_over_a_file_when_layered_in_front()
    {
        WithVariables(
            new Dictionary<string, string> { ["CONFIG_FORCE_hocontest_port"] = "9000" },
            () =>
            {
                var file = ConfigFactory.ParseString("hocontest { port = 2552, host = local }", "host.conf");

                var config = ConfigFactory.FromEnvironment().WithFallback(file);

                Assert.Equal(9000, config.GetInt("hocontest.port"));
                Assert.Equal("local", config.GetString("hocontest.host"));
            });
    }

    [Fact]
    public void FromEnvironment_reports_four_underscores_naming_the_variable()
    {
        WithVariables(
            new Dictionary<string, string> { ["CONFIG_FORCE_hocontest____bad"] = "1" },
            () =>
            {
                var error = Assert.Throws<ConfigException>(ConfigFactory.FromEnvironment);

                Assert.StartsWith("env var CONFIG_FORCE_hocontest____bad: ", error.Message);
            });
    }

    [Fact]
    public void FromEnvironment_reports_a_malformed_value_naming_the_variable_and_column()
    {
        WithVariables(
            new Dictionary<string, string> { ["CONFIG_FORCE_hocontest_bad"] = "a, b" },
            () =>
            {
                var error = Assert.Throws<ConfigException>(ConfigFactory.FromEnvironment);

                Assert.Equal(("env var CONFIG_FORCE_hocontest_bad", 1, 2), (error.Origin, error.Line, error.Column));
            });
    }

    [Fact]
    public void Reference_reads_the_environment_as_it_is_when_each_config_is_resolved()
    {
        const string path = "actors.cluster.public-hostname";
        Assert.Equal("", ConfigFactory.Reference().GetString(path));

        WithVariables(
            new Dictionary<string, string> { ["ACTORS_CLUSTER_PUBLIC_HOSTNAME"] = "h1" },
            () => Assert.Equal("h1", ConfigFactory.Reference().GetString(path)));
    }

    [Fact]
    public void FromAssignments_sets_paths_to_hocon_values_and_later_ones_win()
    {
        var config = ConfigFactory.FromAssignments(
        [
            "actors.timeout=5s",
            "actors.\"odd.key\" = [1, 2]",
            "actors.name=first",
            "actors.name = \"second one\"",
            "actors.limits={ max = 3 }",
            "empty=",
        ]);

        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("actors.timeout"));
        Assert.Equal(["1", "2"], config.GetStringList("actors.\"odd.key\""));
        Assert.Equal("second one", config.GetString("actors.name"));
        Assert.Equal(3, config.GetInt("actors.limits.max"));
        Assert.Equal("", config.GetString("empty"));
    }

    [Fact]
    public void FromAssignments_plus_equals_appends_to_an_array_of_the_layer_below()
    {
        var config = ConfigFactory.FromAssignments(["plugins += extra"])
            .WithFallback(ConfigFactory.ParseString("plugins = [core]"));

        Assert.Equal(["core", "extra"], config.GetStringList("plugins"));
    }

    [Fact]
    public void FromAssignments_substitutions_resolve_against_the_merged_config()
    {
        var config = ConfigFactory.FromAssignments(["url = \"http://\"${host}"])
            .WithFallback(ConfigFactory.ParseString("host = example"));

        Assert.Equal("http://example", config.GetString("url"));
    }

    [Theory]
    [InlineData("novalue", 8, "expected '='")]
    [InlineData("a { b = 1 }", 3, "expected '='")]
    [InlineData("a = 1, b = 2", 6, "unexpected ','")]
    [InlineData("= 1", 1, "expected a key")]
    [InlineData("a..b = 1", 3, "empty element")]
    public void FromAssignments_reports_a_malformed_assignment_naming_it_and_its_number(string bad, int column, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigFactory.FromAssignments(["ok = 1", bad], "--set"));

        Assert.Equal(("--set", 2, column), (error.Origin, error.Line, error.Column));
        Assert.StartsWith($"--set:2:{column}: invalid assignment '{bad}': ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
