using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Nodes.Graph;

namespace Nodes.Runtime;

/// <summary>
/// Akka's serializer for <see cref="Status.Failure"/> between hosts: the answer to a graph command
/// asked on another host than the graph's owner runs on, or a host's live nodes refusing what the
/// owner sent. Akka.Remote rebuilds an exception only through a serialization constructor, which
/// ours lack, and answers the asker with a bare cancellation instead; here the failure travels as
/// its message and whether it is a refusal (<see cref="Refusal.Is"/>), and comes back as a
/// <see cref="GraphException"/> (a refusal) or an <see cref="InvalidOperationException"/> with the
/// same message. On one host nothing is serialized and the exception arrives as it was thrown.
/// </summary>
public sealed class FailureSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer's identifier (see <c>ManifestSerializer.Id</c>); never change or reuse it.</summary>
    public const int Id = 7101;

    private const string FailureManifest = "status.failure.v1";

    public override int Identifier => Id;

    public override string Manifest(object o) => o is Status.Failure ? FailureManifest : throw new SerializationException($"{o.GetType()} is not a Status.Failure.");

    public override byte[] ToBinary(object obj)
    {
        var failure = obj as Status.Failure ?? throw new SerializationException($"{obj.GetType()} is not a Status.Failure.");
        var cause = failure.Cause;
        return JsonSerializer.SerializeToUtf8Bytes(new Wire(cause?.Message ?? "failed", cause is not null && Refusal.Is(cause)));
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest != FailureManifest)
        {
            throw new SerializationException($"Unknown manifest '{manifest}' for a Status.Failure.");
        }
        var wire = JsonSerializer.Deserialize<Wire>(bytes) ?? throw new SerializationException("A Status.Failure payload is JSON null.");
        return new Status.Failure(wire.Refusal ? new GraphException(wire.Message) : new InvalidOperationException(wire.Message));
    }

    private sealed record Wire(string Message, bool Refusal);
}
