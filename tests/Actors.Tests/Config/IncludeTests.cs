using Actors.Config;

namespace Actors.Tests.Config;

public sealed class IncludeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hocon-include-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relativePath, string text)
    {
        var path = Path.Combine(_dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void An_include_is_found_next_to_the_including_file_not_in_the_current_directory()
    {
        Write("conf/shared.conf", "shared = yes\nport = 1");
        var main = Write("conf/main.conf", "include \"shared.conf\"\nport = 2");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal("yes", config.GetString("shared"));
        Assert.Equal(2, config.GetInt("port"));
    }

    [Fact]
    public void A_nested_include_is_relative_to_the_file_that_includes_it()
    {
        Write("a/b/leaf.conf", "leaf = 1");
        Write("a/b/middle.conf", "include \"leaf.conf\"\nmiddle = 2");
        var main = Write("main.conf", "include \"a/b/middle.conf\"");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(1, config.GetInt("leaf"));
        Assert.Equal(2, config.GetInt("middle"));
    }

    [Fact]
    public void The_file_form_and_an_absolute_path_are_accepted()
    {
        var absolute = Write("elsewhere/abs.conf", "abs = 1");
        Write("rel.conf", "rel = 2");
        var main = Write("main.conf", $"include file(\"{absolute.Replace("\\", "\\\\")}\")\ninclude file( \"rel.conf\" )");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(1, config.GetInt("abs"));
        Assert.Equal(2, config.GetInt("rel"));
    }

    [Fact]
    public void A_missing_include_is_silently_ignored()
    {
        var main = Write("main.conf", "include \"missing.conf\"\na = 1");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(["a"], config.Keys);
    }

    [Fact]
    public void A_missing_required_include_is_an_error_at_the_include()
    {
        var main = Write("main.conf", "a = 1\n  include required(\"missing.conf\")");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(main));

        Assert.Equal((main, 2, 3), (error.Origin, error.Line, error.Column));
        Assert.Contains("required include 'missing.conf' not found", error.Message);
    }

    [Fact]
    public void A_required_include_of_an_existing_file_is_read_in_both_forms()
    {
        Write("one.conf", "one = 1");
        Write("two.conf", "two = 2");
        var main = Write("main.conf", "include required(\"one.conf\")\ninclude required(file(\"two.conf\"))");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(["one", "two"], config.Keys);
    }

    [Fact]
    public void An_include_inside_an_object_nests_the_included_fields()
    {
        Write("db.conf", "host = localhost\nport = 5432");
        var main = Write("main.conf", "storage { db { include \"db.conf\" } }");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(5432, config.GetInt("storage.db.port"));
    }

    [Fact]
    public void Included_keys_merge_like_duplicate_keys_in_file_order()
    {
        Write("inc.conf", "a = included\nb = included\nobj { x = 1 }");
        var main = Write("main.conf", "a = before\nobj { y = 2 }\ninclude \"inc.conf\"\nb = after");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal("included", config.GetString("a"));
        Assert.Equal("after", config.GetString("b"));
        Assert.Equal(["y", "x"], config.GetConfig("obj").Keys);
    }

    [Fact]
    public void Substitutions_in_an_included_file_are_relative_to_where_it_is_included()
    {
        Write("foo.conf", "x : 10\ny : ${x}");
        var main = Write("main.conf", "a : { include \"foo.conf\" }\na : { x : 42 }");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal(42, config.GetInt("a.y"));
    }

    [Fact]
    public void A_substitution_in_an_included_file_falls_back_to_the_root_path()
    {
        Write("foo.conf", "greeting = hello ${name}");
        var main = Write("main.conf", "name = world\na { include \"foo.conf\" }");

        var config = ConfigFactory.ParseFile(main);

        Assert.Equal("hello world", config.GetString("a.greeting"));
    }

    [Fact]
    public void A_name_without_extension_loads_the_conf_file()
    {
        Write("defaults.conf", "a = 1");
        var main = Write("main.conf", "include \"defaults\"");

        Assert.Equal(1, ConfigFactory.ParseFile(main).GetInt("a"));
    }

    [Fact]
    public void An_include_cycle_is_an_error()
    {
        Write("a.conf", "include \"b.conf\"");
        Write("b.conf", "include \"a.conf\"");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(Path.Combine(_dir, "a.conf")));

        Assert.Contains("include cycle", error.Message);
    }

    [Fact]
    public void An_included_file_with_an_array_root_is_an_error()
    {
        Write("list.conf", "[1, 2]");
        var main = Write("main.conf", "include \"list.conf\"");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(main));

        Assert.EndsWith("list.conf", error.Origin);
    }

    [Fact]
    public void An_error_in_an_included_file_names_that_file_line_and_column()
    {
        var included = Write("bad.conf", "ok = 1\nbroken = [1, 2");
        var main = Write("main.conf", "include \"bad.conf\"");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(main));

        Assert.Equal((included, 2, 15), (error.Origin, error.Line, error.Column));
    }

    [Theory]
    [InlineData("include url(\"http://example.com/a.conf\")", "not supported")]
    [InlineData("include classpath(\"a.conf\")", "not supported")]
    [InlineData("include a.conf", "must be followed by a quoted file name")]
    [InlineData("include = 5", "must be followed by a quoted file name")]
    public void Unsupported_or_malformed_includes_are_errors(string text, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseString(text, "test.conf"));

        Assert.Contains(expected, error.Message);
        Assert.Equal((1, 1), (error.Line, error.Column));
    }

    [Fact]
    public void Parsing_a_missing_file_is_a_config_error_naming_the_file()
    {
        var path = Path.Combine(_dir, "nope.conf");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(path));

        Assert.Equal(path, error.Origin);
    }

    [Fact]
    public void ParseFile_names_the_file_as_given_in_errors()
    {
        var path = Write("bad.conf", "a = {");

        var error = Assert.Throws<ConfigException>(() => ConfigFactory.ParseFile(path));

        Assert.StartsWith($"{path}:1:6: expected '}}'", error.Message);
    }

    [Fact]
    public void Plus_equals_in_an_included_file_appends_at_the_path_it_is_included_at()
    {
        Write("inc.conf", "list += 2");
        var main = Write("main.conf", "a { list = [1]\ninclude \"inc.conf\" }");

        Assert.Equal(["1", "2"], ConfigFactory.ParseFile(main).GetStringList("a.list"));
    }
}
