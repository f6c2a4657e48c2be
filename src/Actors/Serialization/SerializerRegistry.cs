using System.Collections.Concurrent;
using System.Reflection;

namespace Actors.Serialization;

/// <summary>
/// Maps message types to their stable manifests (<see cref="ManifestAttribute"/> or explicit
/// registration) and serializes with the default serializer. Only registered types may cross
/// hosts or be persisted: an unregistered type fails loudly here, not on the far side.
/// </summary>
public sealed class SerializerRegistry(IMessageSerializer serializer)
{
    private readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _manifests = new();

    /// <summary>Registers <paramref name="type"/> under <paramref name="manifest"/>; a manifest names one type only.</summary>
    public void Register(Type type, string manifest)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(manifest);
        var existing = _types.GetOrAdd(manifest, type);
        if (existing != type)
        {
            throw new InvalidOperationException($"Manifest '{manifest}' is already used by {existing.FullName}; {type.FullName} needs another.");
        }
        _manifests[type] = manifest;
    }

    public void Register<T>(string manifest) => Register(typeof(T), manifest);

    /// <summary>Registers every type in <paramref name="assembly"/> that carries a <see cref="ManifestAttribute"/>.</summary>
    public void RegisterAssembly(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            if (type.GetCustomAttribute<ManifestAttribute>() is { } attribute)
            {
                Register(type, attribute.Manifest);
            }
        }
    }

    /// <summary>The manifest of <paramref name="type"/>; throws when it has none.</summary>
    public string ManifestOf(Type type)
    {
        if (_manifests.TryGetValue(type, out var manifest))
        {
            return manifest;
        }
        if (type.GetCustomAttribute<ManifestAttribute>() is { } attribute)
        {
            Register(type, attribute.Manifest);
            return attribute.Manifest;
        }
        throw new InvalidOperationException($"{type.FullName} has no stable manifest: mark it [Manifest(\"...\")] or register it before it crosses hosts or is persisted.");
    }

    /// <summary>The type registered under <paramref name="manifest"/>; throws when none is.</summary>
    public Type TypeOf(string manifest) =>
        _types.TryGetValue(manifest, out var type)
            ? type
            : throw new InvalidOperationException($"Unknown manifest '{manifest}': no registered type carries it.");

    public SerializedMessage Serialize(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new SerializedMessage(ManifestOf(message.GetType()), serializer.Serialize(message));
    }

    public object Deserialize(SerializedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return serializer.Deserialize(message.Payload.Span, TypeOf(message.Manifest));
    }
}
