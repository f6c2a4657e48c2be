using System.Text.Json;
using Actors.Core;

namespace Actors.Serialization;

/// <summary>The default serializer: System.Text.Json, camelCase, actor references as paths.</summary>
public sealed class JsonMessageSerializer : IMessageSerializer
{
    private readonly JsonSerializerOptions _options;

    /// <param name="resolve">Turns a path read from a message back into a reference.</param>
    public JsonMessageSerializer(Func<ActorPath, IActorRef> resolve)
    {
        _options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _options.Converters.Add(new ActorRefJsonConverter(resolve));
    }

    public byte[] Serialize(object message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), _options);

    public object Deserialize(ReadOnlySpan<byte> payload, Type type) =>
        JsonSerializer.Deserialize(payload, type, _options)
        ?? throw new JsonException($"A {type.Name} payload deserialized to null.");
}
