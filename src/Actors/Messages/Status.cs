using Actors.Serialization;

namespace Actors.Messages;

/// <summary>Replies that carry an outcome, as Akka's <c>Status</c>; <see cref="Failure"/> fails an <c>Ask</c>.</summary>
public abstract record Status
{
    private Status()
    {
    }

    /// <summary>The operation succeeded, with an optional result.</summary>
    [Manifest("actors.status-success.v1")]
    public sealed record Success(object? Result) : Status;

    /// <summary>The operation failed; an <c>Ask</c> that receives this throws <paramref name="Cause"/>.</summary>
    public sealed record Failure(Exception Cause) : Status;
}
