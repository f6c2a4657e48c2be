using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;

namespace Actors.Serialization;

/// <summary>
/// Writes an Akka actor reference as its path (with the system's address when it leaves the
/// host, as Akka's own serializers do) and resolves the path on the way back in.
/// </summary>
internal sealed class AkkaActorRefJsonConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
{
    public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var path = reader.GetString() ?? throw new JsonException("An actor reference must be a path string.");
        return system.Provider.ResolveActorRef(path);
    }

    public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));

    public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);
}
