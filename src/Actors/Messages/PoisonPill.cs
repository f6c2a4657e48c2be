using Actors.Serialization;

namespace Actors.Messages;

/// <summary>Stops the receiving actor once it is processed, after the messages queued before it.</summary>
[Manifest("actors.poison-pill.v1")]
public sealed record PoisonPill
{
    public static readonly PoisonPill Instance = new();
}
