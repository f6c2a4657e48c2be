using Actors.Config;

namespace Actors.Tests.Config;

public sealed class MergeTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "test.conf");

    [Fact]
    public void Duplicate_object_keys_merge_recursively()
    {
        var config = Parse("foo { a = 42, deep { x = 1 } }\nfoo { b = 43, deep { y = 2 } }");

        Assert.Equal(42, config.GetInt("foo.a"));
        Assert.Equal(43, config.GetInt("foo.b"));
        Assert.Equal(["x", "y"], config.GetConfig("foo.deep").Keys);
    }

    [Fact]
    public void A_later_non_object_replaces_the_earlier_value()
    {
        var config = Parse("a = 1\na = two\nb { x = 1 }\nb = 5");

        Assert.Equal("two", config.GetString("a"));
        Assert.Equal(5, config.GetInt("b"));
    }

    [Fact]
    public void Null_between_two_objects_prevents_their_merge()
    {
        var config = Parse("foo { a = 42 }\nfoo = null\nfoo { b = 43 }");

        Assert.Equal(["b"], config.GetConfig("foo").Keys);
    }

    [Fact]
    public void Arrays_replace_rather_than_merge()
    {
        var config = Parse("a = [1, 2]\na = [3]");

        Assert.Equal(["3"], config.GetStringList("a"));
    }

    [Fact]
    public void Dotted_keys_merge_into_an_existing_object()
    {
        var config = Parse("a { x = 1 }\na.y = 2\na.x = 3");

        Assert.Equal(3, config.GetInt("a.x"));
        Assert.Equal(2, config.GetInt("a.y"));
        Assert.Equal(["x", "y"], config.GetConfig("a").Keys);
    }

    [Fact]
    public void Arrays_on_one_line_concatenate()
    {
        var config = Parse("a = [1, 2] [3, 4]");

        Assert.Equal(["1", "2", "3", "4"], config.GetStringList("a"));
    }

    [Fact]
    public void Arrays_inside_an_array_concatenate_on_one_line_but_not_across_lines()
    {
        Assert.Equal("b = [\n  [1, 2, 3, 4]\n]\n", Parse("b = [[1, 2] [3, 4]]").Render());
        Assert.Equal("c = [\n  [1, 2]\n  [3, 4]\n]\n", Parse("c = [[1, 2]\n[3, 4]]").Render());
    }

    [Fact]
    public void Objects_on_one_line_merge()
    {
        var config = Parse("a = { b = 1, c = 1 } { c = 2 }");

        Assert.Equal(1, config.GetInt("a.b"));
        Assert.Equal(2, config.GetInt("a.c"));
    }

    [Theory]
    [InlineData("a = [1] x")]
    [InlineData("a = { b = 1 } [1]")]
    [InlineData("a = [1] \" \" [2]")]
    public void Concatenating_different_kinds_is_an_error(string text)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(text));

        Assert.Equal((1, 5), (error.Line, error.Column));
        Assert.Contains("cannot concatenate", error.Message);
    }
}
