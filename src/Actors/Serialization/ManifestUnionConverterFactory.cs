using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Actors.Serialization;

/// <summary>
/// Polymorphic JSON without CLR names: a value whose declared type is an interface or an
/// abstract class (an <c>IGraphEvent</c> in a list, say) is written as
/// <c>{"manifest": "node-added.v1", "payload": {...}}</c>, its runtime type named by its
/// <see cref="ManifestAttribute"/>, and read back through the same manifest.
/// </summary>
/// <remarks>
/// Only interfaces and abstract classes of our own assemblies (those that can declare manifests)
/// are wrapped; collections (<see cref="IEnumerable"/>), actor references, framework types
/// (<c>JsonNode</c>, <c>Stream</c>) and types that chose their own JSON shape
/// (<see cref="JsonConverterAttribute"/>, <see cref="JsonPolymorphicAttribute"/>) keep theirs. A concrete declared type is written as it is, with no wrapper.
/// </remarks>
internal sealed class ManifestUnionConverterFactory(ManifestCatalog catalog) : JsonConverterFactory
{
    private const string ManifestProperty = "manifest";
    private const string PayloadProperty = "payload";

    public override bool CanConvert(Type typeToConvert) =>
        (typeToConvert.IsInterface || typeToConvert.IsAbstract)
        && !typeToConvert.IsGenericTypeDefinition
        && ManifestCatalog.MayCarryManifests(typeToConvert.Assembly)
        && !typeof(IEnumerable).IsAssignableFrom(typeToConvert)
        && !typeof(Akka.Actor.IActorRef).IsAssignableFrom(typeToConvert)
        && typeToConvert.GetCustomAttribute<JsonConverterAttribute>() is null
        && typeToConvert.GetCustomAttribute<JsonPolymorphicAttribute>() is null;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(UnionConverter<>).MakeGenericType(typeToConvert), catalog)!;

    private sealed class UnionConverter<T>(ManifestCatalog catalog) : JsonConverter<T>
        where T : class
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"A {typeof(T).Name} must be an object {{\"{ManifestProperty}\": ..., \"{PayloadProperty}\": ...}}, not {reader.TokenType}.");
            }
            var item = JsonElement.ParseValue(ref reader);
            if (!item.TryGetProperty(ManifestProperty, out var manifestElement) || manifestElement.ValueKind != JsonValueKind.String)
            {
                throw new JsonException($"A {typeof(T).Name} has no \"{ManifestProperty}\" string.");
            }
            if (!item.TryGetProperty(PayloadProperty, out var payload))
            {
                throw new JsonException($"A {typeof(T).Name} has no \"{PayloadProperty}\".");
            }
            var manifest = manifestElement.GetString()!;
            var type = catalog.TypeOf(manifest);
            if (!typeof(T).IsAssignableFrom(type))
            {
                throw new JsonException($"Manifest '{manifest}' names {type.FullName}, which is not a {typeof(T).FullName}.");
            }
            return (T)(payload.Deserialize(type, options)
                ?? throw new JsonException($"The payload of a '{manifest}' is null."));
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            var type = value.GetType();
            writer.WriteStartObject();
            writer.WriteString(ManifestProperty, catalog.ManifestOf(type));
            writer.WritePropertyName(PayloadProperty);
            JsonSerializer.Serialize(writer, value, type, options);
            writer.WriteEndObject();
        }
    }
}
