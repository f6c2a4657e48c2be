using System.Globalization;
using System.Text.RegularExpressions;
using Actors.Core;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.TestKit;

/// <summary><c>Within</c>: expectations inside a block share its deadline, whatever their own timeouts.</summary>
public sealed partial class WithinTests(ITestOutputHelper output) : Actors.TestKit.TestKit(output: output)
{
    private static readonly TimeSpan Block = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void An_expectation_inside_Within_waits_no_longer_than_the_block_allows()
    {
        // ExpectMsg's own default is seconds; inside the block it gets what is left of 50 ms.
        var failure = Assert.Throws<XunitException>(() => Within(Block, () => ExpectMsg<string>()));

        Assert.InRange(TimeoutIn(failure), 0, Dilated(Block).TotalMilliseconds);
    }

    [Fact]
    public void A_nested_Within_cannot_extend_the_outer_deadline()
    {
        var failure = Assert.Throws<XunitException>(() =>
            Within(Block, () => Within(TimeSpan.FromSeconds(10), () => ExpectMsg<string>())));

        Assert.InRange(TimeoutIn(failure), 0, Dilated(Block).TotalMilliseconds);
    }

    [Fact]
    public void Within_restores_the_expectations_own_timeouts_when_it_ends()
    {
        Within(Block, () => { });

        var failure = Assert.Throws<XunitException>(() => ExpectMsg<string>(TimeSpan.FromMilliseconds(200)));

        Assert.Equal(Dilated(TimeSpan.FromMilliseconds(200)).TotalMilliseconds, TimeoutIn(failure), precision: 0);
    }

    [Fact]
    public void Within_returns_the_result_of_its_block()
    {
        TestActor.Tell("inside", Nobody.Instance);

        Assert.Equal("inside", Within(TimeSpan.FromSeconds(10), () => ExpectMsg<string>()));
    }

    [Fact]
    public void Within_fails_when_the_block_finishes_before_the_minimum()
    {
        var failure = Assert.Throws<XunitException>(() => Within(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), () => 0));

        Assert.Contains("before the minimum of 60000 ms", failure.Message);
    }

    /// <summary>The "Timeout (N ms)" an expectation reported.</summary>
    private static double TimeoutIn(XunitException failure)
    {
        var match = TimeoutPattern().Match(failure.Message);
        Assert.True(match.Success, $"Not a timeout failure: {failure.Message}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^Timeout \((\d+) ms\)")]
    private static partial Regex TimeoutPattern();
}
