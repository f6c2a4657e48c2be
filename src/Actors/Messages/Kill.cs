using Actors.Serialization;

namespace Actors.Messages;

/// <summary>Makes the receiver fail with <see cref="ActorKilledException"/>; its supervisor decides what follows (stop, by default).</summary>
[Manifest("actors.kill.v1")]
public sealed record Kill
{
    public static readonly Kill Instance = new();
}
