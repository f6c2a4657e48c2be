using System.Text.Json;
using System.Text.Json.Serialization;
using Actors.Core;

namespace Actors.Serialization;

/// <summary>Writes an actor reference as its path and resolves the path on the way back in.</summary>
internal sealed class ActorRefJsonConverter(Func<ActorPath, IActorRef> resolve) : JsonConverter<IActorRef>
{
    public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("An actor reference must be a path string.");
        try
        {
            return resolve(ActorPath.Parse(text));
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Path.ToString());

    public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);
}
