using Actors.Config;

namespace Actors.Tests.Config;

public sealed class GetterTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "host.conf");

    [Fact]
    public void GetString_gives_numbers_and_booleans_as_written()
    {
        var config = Parse("n = 1.50\nb = true");

        Assert.Equal("1.50", config.GetString("n"));
        Assert.Equal("true", config.GetString("b"));
    }

    [Fact]
    public void Number_getters_convert_strings_that_are_numbers()
    {
        var config = Parse("a = \"42\"\nb = \"2.5\"");

        Assert.Equal(42, config.GetInt("a"));
        Assert.Equal(42L, config.GetLong("a"));
        Assert.Equal(2.5, config.GetDouble("b"));
    }

    [Fact]
    public void A_wrong_type_names_file_line_column_path_and_value()
    {
        var config = Parse("actors {\n  y = 1\n  x = abc\n}");

        var error = Assert.Throws<ConfigException>(() => config.GetInt("actors.x"));

        Assert.Equal("host.conf:3:7: actors.x: expected an integer, got string 'abc'", error.Message);
        Assert.Equal(("host.conf", 3, 7), (error.Origin, error.Line, error.Column));
    }

    [Theory]
    [InlineData("a = 1.5")]
    [InlineData("a = 3000000000")]
    public void GetInt_rejects_fractions_and_values_out_of_range(string text)
    {
        Assert.Throws<ConfigException>(() => Parse(text).GetInt("a"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("\"true\"", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    public void GetBoolean_accepts_true_false_yes_no_on_off(string value, bool expected)
    {
        Assert.Equal(expected, Parse($"a = {value}").GetBoolean("a"));
    }

    [Fact]
    public void GetBoolean_rejects_other_strings()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("a = maybe").GetBoolean("a"));

        Assert.StartsWith("host.conf:1:5: a: expected a boolean", error.Message);
    }

    [Fact]
    public void A_missing_path_throws_naming_the_path_and_defaults_apply_when_missing()
    {
        var config = Parse("a { b = 1 }");

        var error = Assert.Throws<ConfigException>(() => config.GetString("a.c"));

        Assert.Equal("a.c: no setting at this path", error.Message);
        Assert.Null(error.Origin);
        Assert.Equal("d", config.GetString("a.c", "d"));
        Assert.Equal(7, config.GetInt("a.c", 7));
        Assert.Equal(7L, config.GetLong("x.y", 7L));
        Assert.Equal(0.5, config.GetDouble("x", 0.5));
        Assert.True(config.GetBoolean("x", true));
        Assert.Equal(TimeSpan.FromSeconds(3), config.GetTimeSpan("x", TimeSpan.FromSeconds(3)));
        Assert.Equal(64L, config.GetBytes("x", 64L));
        Assert.Equal(1, config.GetInt("a.b", 7));
    }

    [Fact]
    public void A_default_does_not_hide_a_value_of_the_wrong_type()
    {
        var config = Parse("a = abc");

        Assert.Throws<ConfigException>(() => config.GetInt("a", 5));
    }

    [Fact]
    public void A_path_through_a_non_object_names_where_it_stops()
    {
        var config = Parse("a = 5");

        var error = Assert.Throws<ConfigException>(() => config.GetInt("a.b"));

        Assert.Equal("host.conf:1:5: a.b: 'a' is number 5, not an object", error.Message);
        Assert.False(config.HasPath("a.b"));
    }

    [Fact]
    public void An_invalid_getter_path_is_an_error_naming_it()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("a = 1").GetInt("a..b"));

        Assert.StartsWith("invalid path 'a..b'", error.Message);
    }

    [Fact]
    public void GetStringList_reads_simple_elements_as_strings()
    {
        var config = Parse("a = [x, 2, true, \"y z\"]");

        Assert.Equal(["x", "2", "true", "y z"], config.GetStringList("a"));
    }

    [Fact]
    public void GetStringList_of_a_non_array_or_with_an_object_element_is_an_error()
    {
        var config = Parse("a = x\nb = [1, { c = 1 }]");

        Assert.Contains("expected an array", Assert.Throws<ConfigException>(() => config.GetStringList("a")).Message);
        Assert.Contains("b[1]: expected a string, got object", Assert.Throws<ConfigException>(() => config.GetStringList("b")).Message);
    }

    [Fact]
    public void GetConfig_returns_the_subtree_with_substitutions_resolved_against_the_whole_config()
    {
        var config = Parse("base = 10\nactors { timeout = ${base}, name = x }");

        var actors = config.GetConfig("actors");

        Assert.Equal(["timeout", "name"], actors.Keys);
        Assert.Equal(10, actors.GetInt("timeout"));
    }

    [Fact]
    public void GetConfig_of_a_missing_path_is_empty_and_of_a_non_object_is_an_error()
    {
        var config = Parse("a = 1");

        Assert.True(config.GetConfig("missing").IsEmpty);
        Assert.Throws<ConfigException>(() => config.GetConfig("a"));
    }

    [Fact]
    public void Empty_configs_are_empty()
    {
        Assert.True(ConfigFactory.Empty.IsEmpty);
        Assert.Same(Actors.Config.Config.Empty, ConfigFactory.Empty);
        Assert.Empty(ConfigFactory.Empty.Keys);
        Assert.False(Parse("a = 1").IsEmpty);
    }
}
