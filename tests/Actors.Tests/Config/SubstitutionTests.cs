using Actors.Config;

namespace Actors.Tests.Config;

public sealed class SubstitutionTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "test.conf");

    [Fact]
    public void A_substitution_is_resolved_against_the_root_and_may_look_forward()
    {
        var config = Parse("a { b = ${c.d} }\nc { d = 5 }");

        Assert.Equal(5, config.GetInt("a.b"));
    }

    [Fact]
    public void A_substitution_that_is_the_whole_value_keeps_its_type()
    {
        var config = Parse("n = 5\nflag = false\nlist = [1, 2]\na = ${n}\nb = ${flag}\nc = ${list}");

        Assert.Equal(5, config.GetInt("a"));
        Assert.False(config.GetBoolean("b"));
        Assert.Equal(["1", "2"], config.GetStringList("c"));
    }

    [Fact]
    public void A_substitution_in_a_concatenation_becomes_text()
    {
        var config = Parse("animal.favorite = fox\na = ${animal.favorite} is my favorite animal\nb = ${animal.favorite}\" is quoted\"");

        Assert.Equal("fox is my favorite animal", config.GetString("a"));
        Assert.Equal("fox is quoted", config.GetString("b"));
    }

    [Fact]
    public void A_substitution_inside_a_quoted_string_is_literal_text()
    {
        var config = Parse("a = \"${b}\"");

        Assert.Equal("${b}", config.GetString("a"));
    }

    [Fact]
    public void A_quoted_path_element_in_a_substitution_reaches_a_key_with_a_dot()
    {
        var config = Parse("\"a.b\" = 1\nc = ${\"a.b\"}");

        Assert.Equal(1, config.GetInt("c"));
    }

    [Fact]
    public void An_object_substitution_followed_by_an_object_inherits_and_overrides()
    {
        var config = Parse("""
            generic = { cluster-size = 6, name = generic }
            east = ${generic} { name = "east" }
            """);

        Assert.Equal(6, config.GetInt("east.cluster-size"));
        Assert.Equal("east", config.GetString("east.name"));
        Assert.Equal("generic", config.GetString("generic.name"));
    }

    [Fact]
    public void An_object_substitution_merges_with_a_later_object_for_the_same_key()
    {
        var config = Parse("base { x = 1 }\na = ${base}\na { y = 2 }");

        Assert.Equal(1, config.GetInt("a.x"));
        Assert.Equal(2, config.GetInt("a.y"));
    }

    [Fact]
    public void An_object_may_refer_to_a_path_within_itself_and_sees_its_final_value()
    {
        var config = Parse("bar : { foo : 42,\n baz : ${bar.foo} }\nbar : { foo : 43 }");

        Assert.Equal(43, config.GetInt("bar.baz"));
    }

    [Fact]
    public void Mutually_referring_objects_resolve()
    {
        var config = Parse("""
            bar : { a : ${foo.d}, b : 1 }
            bar.b = 3
            foo : { c : ${bar.b}, d : 2 }
            foo.d = 4
            """);

        Assert.Equal(4, config.GetInt("bar.a"));
        Assert.Equal(3, config.GetInt("foo.c"));
    }

    [Fact]
    public void Substitution_of_a_missing_required_path_names_file_line_and_column()
    {
        var config = Parse("a = 1\nb {\n  c = x ${nope.never_set_anywhere}\n}");

        var error = Assert.Throws<ConfigException>(() => config.GetString("b.c"));

        Assert.Equal(("test.conf", 3, 9), (error.Origin, error.Line, error.Column));
        Assert.StartsWith("test.conf:3:9: ${nope.never_set_anywhere}: no value", error.Message);
    }

    [Fact]
    public void Parsing_does_not_resolve_but_Resolve_reports_a_missing_substitution()
    {
        var config = Parse("a = ${nope_missing_value}");

        Assert.Throws<ConfigException>(() => config.Resolve());
    }

    [Fact]
    public void A_hidden_substitution_is_never_evaluated()
    {
        var config = Parse("foo : ${does-not-exist}\nfoo : 42\nbar : ${bar}\nbar : 1");

        Assert.Equal(42, config.GetInt("foo"));
        Assert.Equal(1, config.GetInt("bar"));
    }

    [Fact]
    public void A_missing_substitution_falls_back_to_the_environment_variable_of_that_exact_name()
    {
        const string name = "HOCON_TEST_SUBST_FALLBACK_1";
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var config = Parse($"a = ${{{name}}}\nb = ${{?{name}}}/suffix");

            Assert.Equal("from-env", config.GetString("a"));
            Assert.Equal("from-env/suffix", config.GetString("b"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void An_environment_variable_value_converts_like_a_string()
    {
        const string name = "HOCON_TEST_SUBST_FALLBACK_2";
        Environment.SetEnvironmentVariable(name, "250");
        try
        {
            var config = Parse($"a = ${{{name}}}");

            Assert.Equal(250, config.GetInt("a"));
            Assert.Equal(TimeSpan.FromMilliseconds(250), config.GetTimeSpan("a"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void A_config_value_wins_over_the_environment_variable_and_null_hides_it()
    {
        const string name = "HOCON_TEST_SUBST_FALLBACK_3";
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            Assert.Equal("from-config", Parse($"{name} = from-config\na = ${{{name}}}").GetString("a"));
            Assert.False(Parse($"{name} = null\na = ${{{name}}}").HasPath("a"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void An_empty_environment_variable_counts_as_missing()
    {
        const string name = "HOCON_TEST_SUBST_FALLBACK_4";
        Environment.SetEnvironmentVariable(name, "");
        var config = Parse($"a = ${{?{name}}}");

        Assert.False(config.HasPath("a"));
    }

    [Fact]
    public void An_optional_missing_substitution_removes_the_field()
    {
        var config = Parse("a = ${?nope_missing_value}\nb = 1");

        Assert.False(config.HasPath("a"));
        Assert.Equal(["b"], config.Keys);
    }

    [Fact]
    public void An_optional_missing_substitution_keeps_the_earlier_value()
    {
        var config = Parse("a = 1\na = ${?nope_missing_value}");

        Assert.Equal(1, config.GetInt("a"));
    }

    [Fact]
    public void An_optional_missing_substitution_in_an_array_drops_the_element()
    {
        var config = Parse("a = [1, ${?nope_missing_value}, 3]");

        Assert.Equal(["1", "3"], config.GetStringList("a"));
    }

    [Fact]
    public void An_optional_missing_substitution_in_a_concatenation_adds_nothing()
    {
        var config = Parse("a = x${?nope_missing_value}y\nb = ${?nope_missing_value} [1]\nc = ${?nope_missing_value}${?nope_missing_value}");

        Assert.Equal("xy", config.GetString("a"));
        Assert.Equal(["1"], config.GetStringList("b"));
        Assert.False(config.HasPath("c"));
    }

    [Fact]
    public void A_null_substitution_in_a_string_concatenation_is_empty()
    {
        var config = Parse("n = null\na = x${n}y");

        Assert.Equal("xy", config.GetString("a"));
    }

    [Fact]
    public void A_self_reference_appends_to_the_earlier_array()
    {
        var config = Parse("path = [ /bin ]\npath = ${path} [ /usr/bin ]");

        Assert.Equal(["/bin", "/usr/bin"], config.GetStringList("path"));
    }

    [Fact]
    public void A_self_reference_extends_the_earlier_string()
    {
        var config = Parse("path : \"a:b:c\"\npath : ${path}\":d\"");

        Assert.Equal("a:b:c:d", config.GetString("path"));
    }

    [Fact]
    public void An_optional_self_reference_without_an_earlier_value_looks_back_to_nothing()
    {
        var config = Parse("a = ${?a}foo\nb = ${?b}");

        Assert.Equal("foo", config.GetString("a"));
        Assert.False(config.HasPath("b"));
    }

    [Fact]
    public void A_required_self_reference_without_an_earlier_value_is_a_missing_substitution()
    {
        var config = Parse("a = 1\nfoo_self_ref_test : ${foo_self_ref_test}");

        var error = Assert.Throws<ConfigException>(() => config.Resolve());

        Assert.Equal((2, 21), (error.Line, error.Column));
        Assert.Contains("no value", error.Message);
    }

    [Fact]
    public void A_self_reference_to_a_path_below_the_field_reads_the_earlier_value()
    {
        var config = Parse("foo : { a : { c : 1 } }\nfoo : ${foo.a}\nfoo : { a : 2 }");

        Assert.Equal(2, config.GetInt("foo.a"));
        Assert.Equal(1, config.GetInt("foo.c"));
    }

    [Fact]
    public void A_self_reference_in_a_nested_field_reads_that_fields_earlier_value()
    {
        var config = Parse("a { b = [1] }\na.b = ${a.b} [2]\na { b = ${a.b} [3] }");

        Assert.Equal(["1", "2", "3"], config.GetStringList("a.b"));
    }

    [Fact]
    public void An_object_self_reference_extends_the_earlier_object()
    {
        var config = Parse("foo { a = 1 }\nfoo = ${foo} { b = ${foo.a} }");

        Assert.Equal(1, config.GetInt("foo.a"));
        Assert.Equal(1, config.GetInt("foo.b"));
    }

    [Fact]
    public void Plus_equals_appends_to_an_array_and_creates_one_when_missing()
    {
        var config = Parse("a = [1]\na += 2\na += 3\nb += x\nc { d += 1, d += 2 }");

        Assert.Equal(["1", "2", "3"], config.GetStringList("a"));
        Assert.Equal(["x"], config.GetStringList("b"));
        Assert.Equal(["1", "2"], config.GetStringList("c.d"));
    }

    [Fact]
    public void Plus_equals_on_a_non_array_is_an_error()
    {
        var config = Parse("a = text\na += 2");

        var error = Assert.Throws<ConfigException>(() => config.Resolve());

        Assert.Equal((2, 1), (error.Line, error.Column));
        Assert.Contains("cannot concatenate", error.Message);
    }

    [Fact]
    public void Two_substitutions_referring_to_each_other_are_a_cycle_error()
    {
        var config = Parse("bar : ${foo}\nfoo : ${bar}");

        var error = Assert.Throws<ConfigException>(() => config.Resolve());

        Assert.Contains("cycle", error.Message);
        Assert.Equal("test.conf", error.Origin);
        Assert.Contains("${foo}", error.Message);
        Assert.Contains("${bar}", error.Message);
    }

    [Fact]
    public void A_three_step_cycle_is_an_error()
    {
        var config = Parse("a : ${b}\nb : ${c}\nc : ${a}");

        var error = Assert.Throws<ConfigException>(() => config.GetString("b"));

        Assert.Contains("cycle", error.Message);
    }

    [Theory]
    [InlineData("a : { b : ${a} }")]
    [InlineData("a : [ ${a} ]")]
    public void A_value_that_contains_a_reference_to_itself_is_a_cycle_error(string text)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(text).Resolve());

        Assert.Contains("cycle", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void An_optional_cycle_counts_as_missing()
    {
        var config = Parse("a = ${?b}\nb = ${?a}\nc = 1");

        Assert.Equal(["c"], config.Keys);
    }

    [Fact]
    public void Fields_referring_to_each_other_after_earlier_values_agree()
    {
        var config = Parse("a : 1\nb : 2\na : ${b}\nb : ${a}");

        var resolved = config.Resolve();

        Assert.Equal(resolved.GetInt("a"), resolved.GetInt("b"));
    }

    [Fact]
    public void An_inherited_object_may_refer_to_its_own_fields()
    {
        var config = Parse("base { a = 1 }\nbar = ${base} { foo = 42, baz = ${bar.foo} }");

        Assert.Equal(42, config.GetInt("bar.baz"));
        Assert.Equal(1, config.GetInt("bar.a"));
    }

    [Fact]
    public void A_self_reference_to_an_object_keeps_it()
    {
        Assert.Equal(1, Parse("a { b = 1 }\na = ${a}").GetInt("a.b"));
    }

    [Fact]
    public void Substituted_objects_separated_by_unquoted_whitespace_merge()
    {
        var config = Parse("x { p = 1 }\ny { q = 2 }\nz = ${x} ${y}");

        Assert.Equal(["p", "q"], config.GetConfig("z").Keys);
    }

    [Fact]
    public void Substituted_objects_separated_by_quoted_whitespace_are_an_error()
    {
        var config = Parse("x { p = 1 }\ny { q = 2 }\nz = ${x}\" \"${y}");

        var error = Assert.Throws<ConfigException>(() => config.Resolve());

        Assert.Equal((3, 5), (error.Line, error.Column));
    }

    [Fact]
    public void A_very_long_substitution_chain_resolves_or_fails_with_a_config_error_instead_of_crashing()
    {
        const int length = 100_000;
        var text = string.Join("\n", Enumerable.Range(0, length).Select(i => $"a{i} = ${{a{i + 1}}}")) + $"\na{length} = 1";
        var config = Parse(text);

        var error = Record.Exception(() => Assert.Equal(1, config.GetInt("a0")));

        Assert.True(error is null || (error is ConfigException && error.Message.Contains("nested too deeply")), error?.Message);
    }
}
