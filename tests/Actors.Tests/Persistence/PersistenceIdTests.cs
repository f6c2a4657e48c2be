using Actors.Persistence;

namespace Actors.Tests.Persistence;

public sealed class PersistenceIdTests
{
    [Theory]
    [InlineData("coordinator")]
    [InlineData("node/disk0")]
    [InlineData("ünïcødé ids are fine")]
    public void A_printable_id_of_at_most_255_characters_is_valid(string value)
    {
        var id = new PersistenceId(value);
        Assert.Equal(value, id.Value);
        Assert.Equal(value, id.ToString());
        Assert.True(id.IsValid);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("tab\there", "control")]
    [InlineData("nul\0", "control")]
    [InlineData("newline\n", "control")]
    public void An_empty_id_or_one_with_control_characters_is_rejected(string value, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => new PersistenceId(value));
        Assert.Contains(problem, error.Message);
        Assert.False(PersistenceId.TryCreate(value, out _, out var reason));
        Assert.Contains(problem, reason);
    }

    [Fact]
    public void An_id_longer_than_255_characters_is_rejected()
    {
        Assert.Equal("x", new PersistenceId(new string('x', 255)).Value[..1]);
        var error = Assert.Throws<ArgumentException>(() => new PersistenceId(new string('x', 256)));
        Assert.Contains("256", error.Message);
    }

    [Fact]
    public void Ids_with_the_same_text_are_equal()
    {
        Assert.Equal(new PersistenceId("a"), new PersistenceId("a"));
        Assert.NotEqual(new PersistenceId("a"), new PersistenceId("A"));
        Assert.False(default(PersistenceId).IsValid);
    }
}
