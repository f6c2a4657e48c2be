using Actors.Core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.TestKit;

/// <summary>ExpectMsg and friends: what they return, and failure messages that say what went wrong.</summary>
public sealed class ExpectationTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(100);

    private double ShortMs => Dilated(Short).TotalMilliseconds;

    [Fact]
    public void ExpectMsg_returns_the_next_message()
    {
        TestActor.Tell("hello", Nobody.Instance);

        Assert.Equal("hello", ExpectMsg<string>());
    }

    [Fact]
    public void ExpectMsg_of_the_wrong_type_fails_naming_the_expected_type_and_the_message()
    {
        TestActor.Tell("hello", Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => ExpectMsg<int>());

        Assert.Equal("Expected a message of type Int32, got String hello.", failure.Message);
    }

    [Fact]
    public void ExpectMsg_with_a_predicate_fails_naming_the_message_and_the_hint()
    {
        TestActor.Tell("hello", Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => ExpectMsg<string>(s => s.StartsWith("bon"), hint: "a French greeting"));

        Assert.Equal("The message String hello did not satisfy the expectation (a French greeting).", failure.Message);
    }

    [Fact]
    public void ExpectMsg_of_a_value_fails_naming_the_expected_and_the_actual_message()
    {
        TestActor.Tell("hello", Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => ExpectMsg("goodbye"));

        Assert.Equal("The message String hello did not satisfy the expectation (equal to String goodbye).", failure.Message);
    }

    [Fact]
    public void ExpectMsg_fails_after_its_timeout_when_no_message_arrives()
    {
        var failure = Assert.Throws<XunitException>(() => ExpectMsg<string>(Short));

        Assert.Equal($"Timeout ({ShortMs:0} ms) while waiting for a message of type String.", failure.Message);
    }

    [Fact]
    public void ExpectNoMsg_fails_naming_the_message_that_arrived()
    {
        TestActor.Tell("surprise", Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => ExpectNoMsg(Short));

        Assert.Equal($"Expected no message within {ShortMs:0} ms, got String surprise.", failure.Message);
    }

    [Fact]
    public void ExpectNoMsg_passes_when_nothing_arrives()
    {
        ExpectNoMsg(Short);
    }

    [Fact]
    public void ReceiveN_returns_the_messages_in_the_order_they_arrived()
    {
        foreach (var message in new object[] { "one", 2, "three" })
        {
            TestActor.Tell(message, Nobody.Instance);
        }

        Assert.Equal(["one", 2, "three"], ReceiveN(3));
    }

    [Fact]
    public void ReceiveN_fails_saying_how_many_of_the_messages_arrived()
    {
        TestActor.Tell("one", Nobody.Instance);
        TestActor.Tell("two", Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => ReceiveN(3, Short));

        Assert.Equal($"Timeout ({ShortMs:0} ms) after 2 of 3 messages.", failure.Message);
    }

    [Fact]
    public void FishForMessage_skips_messages_until_one_matches_and_leaves_the_rest_queued()
    {
        foreach (var message in new object[] { 1, "skip me", 2, "catch me", 3 })
        {
            TestActor.Tell(message, Nobody.Instance);
        }

        Assert.Equal("catch me", FishForMessage<string>(s => s.StartsWith("catch")));
        ExpectMsg(3);
    }

    [Fact]
    public void FishForMessage_fails_saying_how_many_messages_it_skipped()
    {
        TestActor.Tell(1, Nobody.Instance);
        TestActor.Tell(2, Nobody.Instance);

        var failure = Assert.Throws<XunitException>(() => FishForMessage<string>(_ => true, Short, hint: "any string"));

        Assert.Equal($"Timeout ({ShortMs:0} ms) fishing for a String (any string); 2 other messages were skipped.", failure.Message);
    }
}
