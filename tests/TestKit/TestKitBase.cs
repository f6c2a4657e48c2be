using System.Diagnostics;
using Actors.Cell;
using Actors.Core;
using Actors.Dispatch;
using Actors.Messages;
using Xunit.Sdk;

namespace Actors.TestKit;

/// <summary>
/// Akka.TestKit's vocabulary over a queue of received messages: the base of <see cref="TestKit"/>
/// (whose queue is <see cref="TestActor"/>) and of every <see cref="TestProbe"/>.
/// Every duration is dilated by the configured time factor; inside <see cref="Within(TimeSpan, Action)"/>
/// expectations share the remaining time of the block.
/// </summary>
public abstract class TestKitBase
{
    private static long s_probeId;
    private readonly TestActorRef _testActor;
    private readonly AsyncLocal<DateTime?> _deadline = new();

    private protected TestKitBase(ActorSystem system, TestKitSettings settings, string name)
    {
        Sys = system;
        TestKitSettings = settings;
        _testActor = new TestActorRef(ActorPath.Root(system.Address) / "temp" / $"{name}-{Interlocked.Increment(ref s_probeId)}");
    }

    /// <summary>The actor system under test.</summary>
    public ActorSystem Sys { get; }

    public TestKitSettings TestKitSettings { get; }

    /// <summary>The reference whose received messages the expectations read.</summary>
    public IActorRef TestActor => _testActor;

    /// <summary>The sender of the last message an expectation took.</summary>
    public IActorRef LastSender { get; private set; } = Nobody.Instance;

    /// <summary><paramref name="duration"/> scaled by the time factor.</summary>
    public TimeSpan Dilated(TimeSpan duration) => TestKitSettings.Dilated(duration);

    /// <summary>Time left in the enclosing <c>Within</c>, or the dilated default.</summary>
    public TimeSpan RemainingOrDefault => RemainingOr(Dilated(TestKitSettings.SingleExpectDefault));

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with <see cref="TestActor"/> as sender.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, TestActor);

    /// <summary>Replies to <see cref="LastSender"/>.</summary>
    public void Reply(object message) => LastSender.Tell(message, TestActor);

    /// <summary>Forwards <paramref name="message"/> to <paramref name="target"/> keeping <see cref="LastSender"/> as sender.</summary>
    public void Forward(IActorRef target, object message) => target.Tell(message, LastSender);

    /// <summary><see cref="TestActor"/> receives <see cref="Terminated"/> when <paramref name="target"/> stops.</summary>
    public IActorRef Watch(IActorRef target)
    {
        ((ActorRefBase)target).SendSystemMessage(new SystemMessage.Watch(target, TestActor));
        return target;
    }

    public IActorRef Unwatch(IActorRef target)
    {
        ((ActorRefBase)target).SendSystemMessage(new SystemMessage.Unwatch(target, TestActor));
        return target;
    }

    /// <summary>Waits for the next message and asserts it is a <typeparamref name="T"/>.</summary>
    public T ExpectMsg<T>(TimeSpan? duration = null) => ExpectMsg<T>(static _ => true, duration);

    /// <summary>Waits for the next message and asserts it is a <typeparamref name="T"/> satisfying <paramref name="isMessage"/>.</summary>
    public T ExpectMsg<T>(Predicate<T> isMessage, TimeSpan? duration = null, string? hint = null)
    {
        var timeout = RemainingOr(duration is { } d ? Dilated(d) : Dilated(TestKitSettings.SingleExpectDefault));
        var envelope = Take(timeout) ?? throw Fail($"Timeout ({timeout.TotalMilliseconds:0} ms) while waiting for a message of type {typeof(T).Name}{Hint(hint)}.");
        if (envelope.Message is not T typed)
        {
            throw Fail($"Expected a message of type {typeof(T).Name}{Hint(hint)}, got {Describe(envelope.Message)}.");
        }
        if (!isMessage(typed))
        {
            throw Fail($"The message {Describe(typed)} did not satisfy the expectation{Hint(hint)}.");
        }
        return typed;
    }

    /// <summary>Waits for the next message and asserts it equals <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? duration = null) where T : notnull =>
        ExpectMsg<T>(actual => Equals(actual, expected), duration, $"equal to {Describe(expected)}");

    /// <summary>Asserts that no message arrives within <paramref name="duration"/>.</summary>
    public void ExpectNoMsg(TimeSpan? duration = null)
    {
        var timeout = RemainingOr(Dilated(duration ?? TestKitSettings.ExpectNoMessageDefault));
        if (Take(timeout) is { } envelope)
        {
            throw Fail($"Expected no message within {timeout.TotalMilliseconds:0} ms, got {Describe(envelope.Message)}.");
        }
    }

    /// <summary>Waits for the <see cref="Terminated"/> of <paramref name="target"/> (watch it first).</summary>
    public Terminated ExpectTerminated(IActorRef target, TimeSpan? duration = null) =>
        ExpectMsg<Terminated>(t => t.ActorRef.Equals(target), duration, $"Terminated of {target.Path}");

    /// <summary>Receives exactly <paramref name="count"/> messages, in order, within the time given.</summary>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? duration = null)
    {
        var deadline = Stopwatch.StartNew();
        var total = RemainingOr(duration is { } d ? Dilated(d) : Dilated(TestKitSettings.SingleExpectDefault));
        var received = new List<object>(count);
        while (received.Count < count)
        {
            var left = total - deadline.Elapsed;
            var envelope = (left > TimeSpan.Zero ? Take(left) : null)
                ?? throw Fail($"Timeout ({total.TotalMilliseconds:0} ms) after {received.Count} of {count} messages.");
            received.Add(envelope.Message);
        }
        return received;
    }

    /// <summary>Skips messages until one satisfies <paramref name="isMessage"/>, and returns it.</summary>
    public T FishForMessage<T>(Predicate<T> isMessage, TimeSpan? duration = null, string? hint = null)
    {
        var elapsed = Stopwatch.StartNew();
        var total = RemainingOr(duration is { } d ? Dilated(d) : Dilated(TestKitSettings.SingleExpectDefault));
        var skipped = 0;
        while (true)
        {
            var left = total - elapsed.Elapsed;
            var envelope = (left > TimeSpan.Zero ? Take(left) : null)
                ?? throw Fail($"Timeout ({total.TotalMilliseconds:0} ms) fishing for a {typeof(T).Name}{Hint(hint)}; {skipped} other messages were skipped.");
            if (envelope.Message is T typed && isMessage(typed))
            {
                return typed;
            }
            skipped++;
        }
    }

    public object FishForMessage(Predicate<object> isMessage, TimeSpan? duration = null, string? hint = null) =>
        FishForMessage<object>(isMessage, duration, hint);

    /// <summary>
    /// Runs <paramref name="block"/>, whose expectations share a deadline of <paramref name="max"/>,
    /// and asserts it took between <paramref name="min"/> and <paramref name="max"/>.
    /// </summary>
    public T Within<T>(TimeSpan min, TimeSpan max, Func<T> block)
    {
        var dilatedMax = Dilated(max);
        var outer = _deadline.Value;
        var start = DateTime.UtcNow;
        var deadline = start + dilatedMax;
        _deadline.Value = outer is { } o && o < deadline ? o : deadline;
        try
        {
            var result = block();
            var took = DateTime.UtcNow - start;
            if (took < min)
            {
                throw Fail($"The block finished after {took.TotalMilliseconds:0} ms, before the minimum of {min.TotalMilliseconds:0} ms.");
            }
            if (took > dilatedMax)
            {
                throw Fail($"The block took {took.TotalMilliseconds:0} ms, more than the maximum of {dilatedMax.TotalMilliseconds:0} ms.");
            }
            return result;
        }
        finally
        {
            _deadline.Value = outer;
        }
    }

    public T Within<T>(TimeSpan max, Func<T> block) => Within(TimeSpan.Zero, max, block);

    public void Within(TimeSpan max, Action block) => Within(TimeSpan.Zero, max, () =>
    {
        block();
        return true;
    });

    /// <summary>Retries <paramref name="assertion"/> every <paramref name="interval"/> until it passes or time is up (then its last failure is thrown).</summary>
    public void AwaitAssert(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null)
    {
        var total = RemainingOr(duration is { } d ? Dilated(d) : Dilated(TestKitSettings.SingleExpectDefault));
        var pause = interval ?? TimeSpan.FromMilliseconds(10);
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (elapsed.Elapsed + pause < total)
            {
                Thread.Sleep(pause);
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="message"/> when time is up.</summary>
    public void AwaitCondition(Func<bool> condition, TimeSpan? duration = null, TimeSpan? interval = null, string? message = null)
    {
        var total = RemainingOr(duration is { } d ? Dilated(d) : Dilated(TestKitSettings.SingleExpectDefault));
        var pause = interval ?? TimeSpan.FromMilliseconds(10);
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > total)
            {
                throw Fail($"Condition not met within {total.TotalMilliseconds:0} ms{Hint(message)}.");
            }
            Thread.Sleep(pause);
        }
    }

    /// <summary>Creates a probe on the same system: its own queue and the same expectations.</summary>
    public TestProbe CreateTestProbe(string name = "probe") => new(Sys, TestKitSettings, name);

    private Envelope? Take(TimeSpan timeout)
    {
        if (!_testActor.Queue.TryTake(out var envelope, timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout))
        {
            return null;
        }
        LastSender = envelope.Sender;
        return envelope;
    }

    private TimeSpan RemainingOr(TimeSpan fallback)
    {
        if (_deadline.Value is not { } deadline)
        {
            return fallback;
        }
        var left = deadline - DateTime.UtcNow;
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    private static string Hint(string? hint) => hint is null ? "" : $" ({hint})";

    private static string Describe(object? message) => message is null ? "null" : $"{message.GetType().Name} {message}";

    private static XunitException Fail(string message) => new(message);
}
