namespace Actors.Serialization;

/// <summary>Turns messages into bytes and back. The registry picks the type from the manifest.</summary>
public interface IMessageSerializer
{
    byte[] Serialize(object message);

    object Deserialize(ReadOnlySpan<byte> payload, Type type);
}
