using Actors.Core;

namespace Actors.Tests.Core;

/// <summary>Addresses and paths: how they render, parse back, and refuse bad input.</summary>
public sealed class ActorPathTests
{
    private static readonly Address Address = new("cluster", "host");

    [Fact]
    public void An_address_renders_as_the_actor_scheme_with_cluster_at_host()
    {
        Assert.Equal("actor://cluster@host", Address.ToString());
    }

    [Fact]
    public void A_path_renders_as_its_address_followed_by_its_elements()
    {
        var path = ActorPath.Root(Address) / "user" / "a";

        Assert.Equal("actor://cluster@host/user/a", path.ToString());
    }

    [Theory]
    [InlineData("actor://cluster@host/user/a")]
    [InlineData("actor://c-1@node_2.example/user/$b/c.d")]
    [InlineData("actor://cluster@host/")]
    public void Parse_reads_back_what_ToString_rendered(string text)
    {
        var path = ActorPath.Parse(text);

        Assert.Equal(text, path.ToString());
        Assert.Equal(path, ActorPath.Parse(path.ToString()));
    }

    [Fact]
    public void Parse_gives_the_address_and_the_elements()
    {
        var path = ActorPath.Parse("actor://cluster@host/user/a");

        Assert.Equal(Address, path.Address);
        Assert.Equal(["user", "a"], path.Elements.ToArray());
        Assert.Equal("a", path.Name);
    }

    [Theory]
    [InlineData("http://cluster@host/user/a", "must start with 'actor://'")]
    [InlineData("actor://host/user/a", "must name '<cluster>@<host>'")]
    [InlineData("actor://@host/user/a", "must name '<cluster>@<host>'")]
    [InlineData("actor://cluster@/user/a", "must name '<cluster>@<host>'")]
    [InlineData("actor://clu ster@host/user/a", "Address cluster 'clu ster' may only contain")]
    [InlineData("actor://cluster@host/user/a b", "Actor name 'a b' contains ' '")]
    public void Parse_refuses_invalid_input_with_a_FormatException_naming_the_problem(string text, string problem)
    {
        var refused = Assert.Throws<FormatException>(() => ActorPath.Parse(text));

        Assert.Contains($"'{text}'", refused.Message);
        Assert.Contains(problem, refused.Message);
    }

    [Fact]
    public void A_child_name_with_a_slash_is_refused()
    {
        var refused = Assert.Throws<ArgumentException>(() => ActorPath.Root(Address) / "a/b");

        Assert.Contains("'a/b' contains '/'", refused.Message);
    }

    [Fact]
    public void Paths_with_the_same_address_and_elements_are_equal()
    {
        var built = ActorPath.Root(Address) / "user" / "a";
        var parsed = ActorPath.Parse("actor://cluster@host/user/a");

        Assert.Equal(built, parsed);
        Assert.Equal(built.GetHashCode(), parsed.GetHashCode());
        Assert.NotEqual(built, ActorPath.Root(new Address("cluster", "other-host")) / "user" / "a");
    }
}
