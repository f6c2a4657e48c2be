using Actors.Config;

namespace Actors.Tests.Config;

public sealed class StringTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "test.conf");

    [Fact]
    public void Quoted_string_escapes_are_decoded()
    {
        var config = Parse("""s = "tab\there\nquote\" back\\ slash\/ e\u00e9 \ud83d\ude00" """);

        Assert.Equal("tab\there\nquote\" back\\ slash/ e\u00e9 \ud83d\ude00", config.GetString("s"));
    }

    [Fact]
    public void An_invalid_escape_is_an_error_at_the_backslash()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("s = \"a\\qb\""));

        Assert.Equal("test.conf:1:7: invalid escape '\\q' in quoted string", error.Message);
    }

    [Fact]
    public void A_short_unicode_escape_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("s = \"\\u12\""));

        Assert.Equal((1, 6), (error.Line, error.Column));
    }

    [Fact]
    public void An_unterminated_quoted_string_is_an_error_at_its_opening_quote()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("a = 1\nb = \"open\nc = 2"));

        Assert.Equal((2, 5), (error.Line, error.Column));
        Assert.Contains("not closed", error.Message);
    }

    [Fact]
    public void Unquoted_strings_may_hold_dots_slashes_hyphens_and_letters_after_digits()
    {
        var config = Parse("path = /usr/local/bin\nhost = node-1.example.com\nversion = 1.2.3-beta");

        Assert.Equal("/usr/local/bin", config.GetString("path"));
        Assert.Equal("node-1.example.com", config.GetString("host"));
        Assert.Equal("1.2.3-beta", config.GetString("version"));
    }

    [Theory]
    [InlineData("a = foo!bar", 8)]
    [InlineData("a = what?", 9)]
    [InlineData("a = x*y", 6)]
    [InlineData("a = $x", 5)]
    [InlineData("a = 1+2", 5)]
    public void A_reserved_character_in_unquoted_text_is_an_error_at_that_character(string text, int column)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(text));

        Assert.Equal((1, column), (error.Line, error.Column));
    }

    [Fact]
    public void A_triple_quoted_string_keeps_newlines_quotes_and_backslashes_as_written()
    {
        var config = Parse("text = \"\"\"line one\n  \"two\" \\n\n\"\"\"\nnext = 1");

        Assert.Equal("line one\n  \"two\" \\n\n", config.GetString("text"));
        Assert.Equal(1, config.GetInt("next"));
    }

    [Fact]
    public void Extra_quotes_at_the_end_of_a_triple_quoted_string_belong_to_it()
    {
        var config = Parse("a = \"\"\"foo\"\"\"\"\"");

        Assert.Equal("foo\"\"", config.GetString("a"));
    }

    [Fact]
    public void An_unterminated_triple_quoted_string_is_an_error()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("a = 1\nb = \"\"\"never\nclosed"));

        Assert.Equal((2, 5), (error.Line, error.Column));
    }

    [Fact]
    public void Concatenation_keeps_the_whitespace_between_values_and_trims_the_ends()
    {
        var config = Parse("a =   foo   bar  baz   \nb = 1");

        Assert.Equal("foo   bar  baz", config.GetString("a"));
    }

    [Fact]
    public void Quoted_and_unquoted_pieces_concatenate()
    {
        var config = Parse("a = foo\" bar \"baz\nb = \"x\" \"y\"");

        Assert.Equal("foo bar baz", config.GetString("a"));
        Assert.Equal("x y", config.GetString("b"));
    }

    [Fact]
    public void Numbers_booleans_and_null_in_a_concatenation_keep_their_written_form()
    {
        var config = Parse("a = 1.50 apples\nb = 10.0foo\nc = true story\nd = null and void");

        Assert.Equal("1.50 apples", config.GetString("a"));
        Assert.Equal("10.0foo", config.GetString("b"));
        Assert.Equal("true story", config.GetString("c"));
        Assert.Equal("null and void", config.GetString("d"));
    }

    [Fact]
    public void A_single_value_keeps_its_type()
    {
        var config = Parse("flag = true\nnumber = 1.50");

        Assert.True(config.GetBoolean("flag"));
        Assert.Equal("1.50", config.GetString("number"));
        Assert.Equal(1.5, config.GetDouble("number"));
    }

    [Fact]
    public void Whitespace_separated_array_values_are_one_concatenated_element()
    {
        var config = Parse("a = [1 2 3, x y]");

        Assert.Equal(["1 2 3", "x y"], config.GetStringList("a"));
    }

    [Fact]
    public void Numbers_parse_as_integers_decimals_and_exponents()
    {
        var config = Parse("i = 42\nn = -7\nl = 9000000000\nd = 3.25\ne = 2.5e-3\nz = 007");

        Assert.Equal(42, config.GetInt("i"));
        Assert.Equal(-7, config.GetInt("n"));
        Assert.Equal(9_000_000_000L, config.GetLong("l"));
        Assert.Equal(3.25, config.GetDouble("d"));
        Assert.Equal(0.0025, config.GetDouble("e"));
        Assert.Equal(7, config.GetInt("z"));
        Assert.Equal("007", config.GetString("z"));
    }

    [Fact]
    public void Null_counts_as_missing_for_getters()
    {
        var config = Parse("a = null");

        Assert.False(config.HasPath("a"));
        Assert.Equal("fallback", config.GetString("a", "fallback"));
        var error = Assert.Throws<ConfigException>(() => config.GetString("a"));
        Assert.Equal("test.conf:1:5: a: expected a string, got null", error.Message);
    }
}
