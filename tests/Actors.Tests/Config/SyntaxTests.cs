using Actors.Config;

namespace Actors.Tests.Config;

public sealed class SyntaxTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "test.conf");

    private static ConfigException ParseError(string text) => Assert.Throws<ConfigException>(() => Parse(text));

    [Fact]
    public void Hash_and_double_slash_comments_are_ignored()
    {
        var config = Parse("""
            # a comment
            a = 1 # trailing
            // another
            b = 2 // trailing
            """);

        Assert.Equal(["a", "b"], config.Keys);
        Assert.Equal(2, config.GetInt("b"));
    }

    [Fact]
    public void Comment_markers_inside_quoted_strings_are_text()
    {
        var config = Parse("""url = "http://host/#frag" """);

        Assert.Equal("http://host/#frag", config.GetString("url"));
    }

    [Fact]
    public void Equals_and_colon_both_separate_keys_from_values()
    {
        var config = Parse("a = 1\nb : 2\nc=3,d:4");

        Assert.Equal([1, 2, 3, 4], new[] { "a", "b", "c", "d" }.Select(k => config.GetInt(k)));
    }

    [Fact]
    public void A_key_followed_by_an_open_brace_needs_no_separator()
    {
        var config = Parse("actors { mailbox { capacity = 10 } }");

        Assert.Equal(10, config.GetInt("actors.mailbox.capacity"));
    }

    [Fact]
    public void Root_braces_may_be_omitted_or_written()
    {
        Assert.Equal(1, Parse("{ a = 1 }").GetInt("a"));
        Assert.Equal(1, Parse("a = 1").GetInt("a"));
    }

    [Fact]
    public void An_empty_document_is_an_empty_config()
    {
        Assert.True(Parse("  # nothing\n").IsEmpty);
    }

    [Fact]
    public void A_dotted_key_creates_nested_objects()
    {
        var config = Parse("a.b.c = 42");

        Assert.Equal(["b"], config.GetConfig("a").Keys);
        Assert.Equal(42, config.GetInt("a.b.c"));
    }

    [Fact]
    public void A_quoted_key_keeps_its_dots_and_getters_reach_it_with_a_quoted_path_element()
    {
        var config = Parse("""a { "b.c" { d = 1 } }""");

        Assert.Equal(1, config.GetInt("a.\"b.c\".d"));
        Assert.False(config.HasPath("a.b.c.d"));
    }

    [Fact]
    public void Whitespace_inside_an_unquoted_key_is_part_of_the_key()
    {
        var config = Parse("a b c : 42");

        Assert.Equal(["a b c"], config.Keys);
    }

    [Fact]
    public void A_number_key_with_a_dot_is_two_path_elements_and_true_is_a_string_key()
    {
        var config = Parse("3.14 : 42\ntrue : 1");

        Assert.Equal(42, config.GetInt("\"3\".\"14\""));
        Assert.Equal(1, config.GetInt("\"true\""));
    }

    [Fact]
    public void The_word_include_later_in_a_key_or_as_a_value_is_plain_text()
    {
        var config = Parse("foo include : 42\nbar : include\n\"include\" : 1");

        Assert.Equal(42, config.GetInt("\"foo include\""));
        Assert.Equal("include", config.GetString("bar"));
        Assert.Equal(1, config.GetInt("\"include\""));
    }

    [Fact]
    public void Newlines_separate_fields_and_array_elements_without_commas()
    {
        var config = Parse("a = 1\nb = [\n  1\n  2\n]");

        Assert.Equal(["1", "2"], config.GetStringList("b"));
    }

    [Fact]
    public void A_single_trailing_comma_is_allowed_in_objects_and_arrays()
    {
        var config = Parse("a = [1, 2, 3,], b { c = 1, },");

        Assert.Equal(["1", "2", "3"], config.GetStringList("a"));
        Assert.Equal(1, config.GetInt("b.c"));
    }

    [Theory]
    [InlineData("a = [1,,2]", 1, 8)]
    [InlineData("a = [1,2,,]", 1, 10)]
    [InlineData("a = [,1]", 1, 6)]
    [InlineData("a = 1,,b = 2", 1, 7)]
    public void Misplaced_commas_are_errors_at_the_offending_comma(string text, int line, int column)
    {
        var error = ParseError(text);

        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains("','", error.Message);
    }

    [Fact]
    public void Fields_on_one_line_need_a_comma()
    {
        var error = ParseError("a = 1 b = 2");

        Assert.Equal("test.conf:1:9: unexpected '=' after a value; quote the string if '=' is part of it", error.Message);
    }

    [Fact]
    public void An_object_followed_by_text_on_its_line_is_a_concatenation_error()
    {
        var error = ParseError("a { x = 1 } b = 2");

        Assert.StartsWith("test.conf:1:3: cannot concatenate object with string 'b'", error.Message);
    }

    [Fact]
    public void A_stray_closing_bracket_is_an_error()
    {
        Assert.Equal("test.conf:1:6: unexpected ']'", ParseError("a = 1]").Message);
        Assert.Equal("test.conf:1:8: unexpected '}'", ParseError("a = [1 }").Message);
    }

    [Fact]
    public void Keys_list_the_root_fields_in_file_order()
    {
        var config = Parse("zeta = 1\nalpha = 2\nmid { x = 1 }\nalpha = 3");

        Assert.Equal(["zeta", "alpha", "mid"], config.Keys);
    }

    [Fact]
    public void A_missing_closing_brace_names_file_line_and_column()
    {
        var text = "actors {\n" + string.Concat(Enumerable.Repeat("  x = 1\n", 10)) + "    ";

        var error = ParseError(text);

        Assert.StartsWith("test.conf:12:5: expected '}'", error.Message);
        Assert.Equal(("test.conf", 12, 5), (error.Origin, error.Line, error.Column));
    }

    [Fact]
    public void A_closing_brace_without_an_opening_one_is_an_error()
    {
        var error = ParseError("a = 1\n}");

        Assert.Equal((2, 1), (error.Line, error.Column));
    }

    [Fact]
    public void A_key_without_a_value_is_an_error_after_the_key()
    {
        var error = ParseError("a = 1\nbroken\nc = 2");

        Assert.Equal("test.conf:2:7: key 'broken' has no value; expected ':', '=' or '{' after it", error.Message);
    }

    [Fact]
    public void A_separator_without_a_value_is_an_error()
    {
        var error = ParseError("a = }");

        Assert.Equal((1, 5), (error.Line, error.Column));
        Assert.Contains("expected a value", error.Message);
    }

    [Theory]
    [InlineData("a..b = 1", 3)]
    [InlineData(".a = 1", 1)]
    [InlineData("a. = 1", 2)]
    [InlineData("x = ${a..b}", 9)]
    public void An_empty_path_element_is_an_error_at_its_dot(string text, int column)
    {
        var error = ParseError(text);

        Assert.Contains("empty element", error.Message);
        Assert.Equal((1, column), (error.Line, error.Column));
    }

    [Fact]
    public void A_quoted_empty_path_element_is_allowed()
    {
        var config = Parse("a.\"\".b = 1");

        Assert.Equal(1, config.GetInt("a.\"\".b"));
    }

    [Fact]
    public void A_root_array_is_rejected()
    {
        var error = ParseError("[1, 2]");

        Assert.Contains("must be an object", error.Message);
    }

    [Fact]
    public void A_colon_inside_an_unquoted_value_is_an_error_that_suggests_quoting()
    {
        var error = ParseError("time = 12:30");

        Assert.Equal("test.conf:1:10: unexpected ':' after a value; quote the string if ':' is part of it", error.Message);
    }

    [Fact]
    public void Substitutions_are_not_allowed_in_keys()
    {
        var error = ParseError("${a} = 1");

        Assert.Contains("not allowed in keys", error.Message);
    }

    [Fact]
    public void A_json_document_parses_to_the_same_values()
    {
        var config = Parse("""
            {
              "name": "node-1",
              "port": 8080,
              "ratio": 0.25,
              "enabled": true,
              "tags": ["a", "b"],
              "limits": { "max": -3, "exp": 1e3 },
              "nothing": null
            }
            """);

        Assert.Equal("node-1", config.GetString("name"));
        Assert.Equal(8080, config.GetInt("port"));
        Assert.Equal(0.25, config.GetDouble("ratio"));
        Assert.True(config.GetBoolean("enabled"));
        Assert.Equal(["a", "b"], config.GetStringList("tags"));
        Assert.Equal(-3, config.GetInt("limits.max"));
        Assert.Equal(1000, config.GetLong("limits.exp"));
        Assert.False(config.HasPath("nothing"));
    }

    [Fact]
    public void Windows_line_endings_separate_fields_and_are_not_part_of_values()
    {
        var config = Parse("a = 1\r\nb = x y\r\nc = [1,\r\n2]\r\n");

        Assert.Equal("x y", config.GetString("b"));
        Assert.Equal(["1", "2"], config.GetStringList("c"));
    }

    [Fact]
    public void A_value_may_start_on_the_line_after_its_separator()
    {
        Assert.Equal(1, Parse("a =\n  1").GetInt("a"));
    }

    [Fact]
    public void Nesting_too_deep_for_the_stack_is_a_config_error_not_a_crash()
    {
        var error = ParseError("a = " + new string('[', 200_000) + new string(']', 200_000));

        Assert.Contains("nested too deeply", error.Message);
    }
}
