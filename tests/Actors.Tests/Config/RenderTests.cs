using Actors.Config;

namespace Actors.Tests.Config;

public sealed class RenderTests
{
    private static Actors.Config.Config Parse(string text) => ConfigFactory.ParseString(text, "test.conf");

    [Fact]
    public void Render_writes_keys_in_order_and_quotes_strings_only_when_needed()
    {
        var config = Parse("""
            name = node-1
            host = "node-1.example.com"
            port = 8080
            flag = true
            nothing = null
            text = "two words"
            number-like = "42"
            word-like = "true"
            "dotted.key" = 1
            include-me { "include" = 1 }
            list = [a, 1, "b c"]
            empty {}
            nested { inner { x = 1 }, objects = [{ a = 1 }, { b = 2 }] }
            """);

        Assert.Equal("""
            name = node-1
            host = node-1.example.com
            port = 8080
            flag = true
            nothing = null
            text = "two words"
            number-like = "42"
            word-like = "true"
            "dotted.key" = 1
            include-me {
              "include" = 1
            }
            list = [a, 1, "b c"]
            empty {}
            nested {
              inner {
                x = 1
              }
              objects = [
                {
                  a = 1
                }
                {
                  b = 2
                }
              ]
            }

            """.ReplaceLineEndings("\n"), config.Render());
    }

    [Fact]
    public void Render_shows_resolved_substitutions()
    {
        var config = Parse("base = 1\ncopy = ${base}\nlist = [0] [${base}]");

        Assert.Equal("base = 1\ncopy = 1\nlist = [0, 1]\n", config.Render());
    }

    [Fact]
    public void RenderRedacted_hides_passwords_and_the_password_of_connection_strings_and_nothing_else()
    {
        var config = Parse("""
            tls { password = "s3cret", key-password = k1, empty-password = "" }
            journal { connection-string = "Host=db;Username=actors;Password=pw;Database=a", user = actors }
            sqlite.connection-string = "Data Source=/var/lib/graph.db"
            """);

        Assert.Equal(
            """
            tls {
              password = "<redacted>"
              key-password = "<redacted>"
              empty-password = ""
            }
            journal {
              connection-string = "Host=db;Username=actors;Password=<redacted>;Database=a"
              user = actors
            }
            sqlite {
              connection-string = "Data Source=/var/lib/graph.db"
            }

            """.ReplaceLineEndings("\n"),
            config.RenderRedacted());
        Assert.Contains("s3cret", config.Render());
    }

    [Fact]
    public void ToString_is_Render()
    {
        var config = Parse("a { b = \"x y\" }");

        Assert.Equal(config.Render(), config.ToString());
    }

    [Fact]
    public void Rendering_an_empty_config_gives_empty_text()
    {
        Assert.Equal("", ConfigFactory.Empty.Render());
    }

    [Fact]
    public void Parsing_the_rendered_text_gives_the_same_values()
    {
        var original = Parse(""""
            strings {
              plain = hello
              spaced = "  padded  "
              escapes = "tab\there \"quoted\" back\\slash\nnew line \u0001"
              unicode = "héllo ✓"
              empty = ""
              dollar = "${not.a.substitution}"
              comment-like = "a // b # c"
              reserved = "a:b=c,d{e}[f]+g?h!i@j*k&l^m`n"
              multiline = """first
            second"""
              keyword = "null"
              number-text = "-12.5"
            }
            numbers { int = 42, negative = -7, decimal = 3.25, exponent = 1e5, leading-zero = 007 }
            booleans = [true, false]
            nothing = null
            "quoted key" { "a.b" = 1, "" = 2, "include" = 3, "true" = 4, "0" = 5 }
            arrays = [[1, 2], [], [{ x = 1 }], "s"]
            durations { timeout = 10s, size = 512MiB }
            resolved = ${numbers.int}
            """");

        var rendered = original.Render();
        var reparsed = ConfigFactory.ParseString(rendered, "rendered.conf");

        Assert.Equal(rendered, reparsed.Render());
        Assert.Equal(original.GetString("strings.escapes"), reparsed.GetString("strings.escapes"));
        Assert.Equal(original.GetString("strings.multiline"), reparsed.GetString("strings.multiline"));
        Assert.Equal("${not.a.substitution}", reparsed.GetString("strings.dollar"));
        Assert.Equal("  padded  ", reparsed.GetString("strings.spaced"));
        Assert.Equal("null", reparsed.GetString("strings.keyword"));
        Assert.Equal(1e5, reparsed.GetDouble("numbers.exponent"));
        Assert.Equal("007", reparsed.GetString("numbers.leading-zero"));
        Assert.Equal(2, reparsed.GetInt("\"quoted key\".\"\""));
        Assert.Equal(1, reparsed.GetInt("\"quoted key\".\"a.b\""));
        Assert.Equal(TimeSpan.FromSeconds(10), reparsed.GetTimeSpan("durations.timeout"));
        Assert.Equal(512L * 1024 * 1024, reparsed.GetBytes("durations.size"));
        Assert.Equal(42, reparsed.GetInt("resolved"));
        Assert.False(reparsed.HasPath("nothing"));
        Assert.Equal(original.Keys, reparsed.Keys);
    }
}
