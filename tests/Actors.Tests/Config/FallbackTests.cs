using Actors.Config;

namespace Actors.Tests.Config;

public sealed class FallbackTests
{
    private static Actors.Config.Config Parse(string text, string origin = "test.conf") => ConfigFactory.ParseString(text, origin);

    [Fact]
    public void Front_values_win_and_objects_merge_recursively()
    {
        var front = Parse("a { x = front }\nb = 1");
        var fallback = Parse("a { x = back, y = back }\nb = 2\nc = 3");

        var config = front.WithFallback(fallback);

        Assert.Equal("front", config.GetString("a.x"));
        Assert.Equal("back", config.GetString("a.y"));
        Assert.Equal(1, config.GetInt("b"));
        Assert.Equal(3, config.GetInt("c"));
    }

    [Fact]
    public void Keys_keep_the_fallback_order_with_new_front_keys_after_it()
    {
        var config = Parse("z = 1\nb = 1").WithFallback(Parse("a = 0\nb = 0"));

        Assert.Equal(["a", "b", "z"], config.Keys);
    }

    [Fact]
    public void A_substitution_in_the_fallback_sees_the_value_the_front_overrides()
    {
        var fallback = Parse("port = 2552\naddress = \"host:\"${port}", "reference.conf");
        var front = Parse("port = 9000", "host.conf");

        var config = front.WithFallback(fallback);

        Assert.Equal("host:9000", config.GetString("address"));
        Assert.Equal("host:2552", fallback.GetString("address"));
    }

    [Fact]
    public void A_self_reference_in_front_extends_the_fallback_value()
    {
        var config = Parse("a = ${a} [2]").WithFallback(Parse("a = [1]"));

        Assert.Equal(["1", "2"], config.GetStringList("a"));
    }

    [Fact]
    public void An_optional_self_reference_in_front_extends_the_fallback_string()
    {
        var config = Parse("path = ${?path}\":x\"").WithFallback(Parse("path = base"));

        Assert.Equal("base:x", config.GetString("path"));
        Assert.Equal(":x", Parse("path = ${?path}\":x\"").GetString("path"));
    }

    [Fact]
    public void Plus_equals_in_front_appends_to_the_fallback_array()
    {
        var config = Parse("plugins += extra").WithFallback(Parse("plugins = [core]"));

        Assert.Equal(["core", "extra"], config.GetStringList("plugins"));
    }

    [Fact]
    public void A_non_object_in_front_hides_a_fallback_object()
    {
        var config = Parse("a = 42").WithFallback(Parse("a { x = 1 }"));

        Assert.Equal(42, config.GetInt("a"));
    }

    [Fact]
    public void Only_adjacent_objects_merge_across_three_layers()
    {
        var first = Parse("a { x = 1 }");
        var number = Parse("a = 42");
        var other = Parse("a { y = 2 }");

        Assert.Equal(["x"], first.WithFallback(number).WithFallback(other).GetConfig("a").Keys);
        Assert.Equal(["x"], first.WithFallback(number.WithFallback(other)).GetConfig("a").Keys);
        Assert.Equal(["y", "x"], first.WithFallback(other).WithFallback(number).GetConfig("a").Keys);
    }

    [Fact]
    public void A_front_substitution_can_refer_to_a_value_only_the_fallback_has()
    {
        var front = Parse("greeting = hello ${name}");

        Assert.Throws<ConfigException>(() => front.Resolve());
        Assert.Equal("hello world", front.WithFallback(Parse("name = world")).GetString("greeting"));
    }

    [Fact]
    public void An_empty_layer_changes_nothing()
    {
        var config = Parse("a = 1");

        Assert.Equal(1, config.WithFallback(ConfigFactory.Empty).GetInt("a"));
        Assert.Equal(1, ConfigFactory.Empty.WithFallback(config).GetInt("a"));
    }

    [Fact]
    public void An_object_that_replaced_a_non_object_still_hides_fallbacks_after_Resolve()
    {
        var front = Parse("a = 42\na { x = 1 }").Resolve();

        Assert.Equal(["x"], front.WithFallback(Parse("a { y = 2 }")).GetConfig("a").Keys);
    }
}
