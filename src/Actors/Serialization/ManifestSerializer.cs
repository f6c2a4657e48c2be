using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;

namespace Actors.Serialization;

/// <summary>
/// Akka's serializer for everything persisted or sent to another host: System.Text.Json
/// (<see cref="JsonSerializerDefaults.Web"/>: camelCase, as the journal written before Akka.NET
/// used, so its payloads still read) under the type's stable <see cref="ManifestAttribute"/>
/// name. A CLR type name is never written: not as the manifest, and not inside the JSON, where
/// a value declared as an interface or abstract class is written as
/// <c>{"manifest": ..., "payload": ...}</c>. Actor references are written as their paths.
/// </summary>
/// <remarks>
/// Bound in <c>hocon/reference.conf</c> (<c>akka.actor.serializers.manifest-json</c> and
/// <c>serialization-bindings</c>). Its identifier is <see cref="Id"/>, fixed in code: it is
/// stored beside every event and snapshot, so changing it makes them unreadable.
/// A type is found by manifest among the loaded assemblies (its assembly is loaded by the
/// serialization binding that names it, or by the code that uses it).
/// </remarks>
public sealed class ManifestSerializer : SerializerWithStringManifest
{
    /// <summary>
    /// The serializer's identifier, stored with every payload. Akka.NET keeps 0–100 for its own
    /// serializers; never change or reuse this number.
    /// </summary>
    public const int Id = 7100;

    private readonly JsonSerializerOptions _options;
    private readonly ManifestCatalog _catalog = ManifestCatalog.Shared;

    /// <summary>Made by Akka from the <c>akka.actor.serializers</c> entry.</summary>
    public ManifestSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        _options.Converters.Add(new AkkaActorRefJsonConverter(system));
        _options.Converters.Add(new ManifestUnionConverterFactory(_catalog));
    }

    /// <inheritdoc cref="Id"/>
    public override int Identifier => Id;

    /// <summary>The <see cref="ManifestAttribute"/> of <paramref name="o"/>'s type; a type without one is refused, named.</summary>
    public override string Manifest(object o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return _catalog.ManifestOf(o.GetType());
    }

    /// <summary>The JSON of <paramref name="obj"/>; refused, like <see cref="Manifest"/>, for a type without a manifest.</summary>
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = obj.GetType();
        _catalog.ManifestOf(type);
        return JsonSerializer.SerializeToUtf8Bytes(obj, type, _options);
    }

    /// <summary>The object of the type that carries <paramref name="manifest"/>, read from its JSON.</summary>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(manifest);
        var type = _catalog.TypeOf(manifest);
        try
        {
            return JsonSerializer.Deserialize(bytes, type, _options)
                ?? throw new SerializationException($"A '{manifest}' payload is JSON null.");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"A '{manifest}' payload ({type.FullName}) is not valid: {e.Message}", e);
        }
    }
}
