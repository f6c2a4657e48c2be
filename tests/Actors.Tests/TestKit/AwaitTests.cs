using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.TestKit;

/// <summary>AwaitAssert and AwaitCondition: retry until true, or fail saying what never became true.</summary>
public sealed class AwaitTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void AwaitAssert_retries_until_the_assertion_passes()
    {
        var attempts = 0;

        AwaitAssert(() => Assert.True(++attempts >= 3));

        Assert.Equal(3, attempts);
    }

    [Fact]
    public void AwaitAssert_throws_the_last_failure_when_time_is_up()
    {
        var failure = Assert.ThrowsAny<XunitException>(() => AwaitAssert(() => Assert.Fail("still broken"), Short));

        Assert.Equal("still broken", failure.Message);
    }

    [Fact]
    public void AwaitCondition_returns_once_the_condition_holds()
    {
        var polls = 0;

        AwaitCondition(() => ++polls >= 3);

        Assert.Equal(3, polls);
    }

    [Fact]
    public void AwaitCondition_fails_with_its_message_when_time_is_up()
    {
        var failure = Assert.Throws<XunitException>(() => AwaitCondition(() => false, Short, message: "the flag was never set"));

        Assert.Equal($"Condition not met within {Dilated(Short).TotalMilliseconds:0} ms (the flag was never set).", failure.Message);
    }
}
