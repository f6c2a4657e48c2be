using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;

namespace Actors.Serialization;

/// <summary>
/// Which type carries which <see cref="ManifestAttribute"/>, found by scanning loaded assemblies.
/// Lookups are lock-free once a manifest was seen; a miss scans the assemblies loaded since the
/// last scan (an assembly is scanned once), so a type from an assembly loaded late is still found.
/// </summary>
/// <remarks>
/// Only assemblies that can hold a <see cref="ManifestAttribute"/> are scanned: this one and those
/// that reference it. Two types under one manifest do not break the scan (an unrelated assembly
/// must not stop every other message): the manifest is refused, naming both, whenever it is used.
/// </remarks>
internal sealed class ManifestCatalog(Func<IEnumerable<Assembly>> loadedAssemblies)
{
    private static readonly Assembly AttributeAssembly = typeof(ManifestAttribute).Assembly;

    private readonly Lock _scanLock = new();
    private readonly HashSet<Assembly> _scanned = [];
    private readonly ConcurrentDictionary<string, Type[]> _types = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _manifests = new();

    /// <summary>The catalog of the process: loaded assemblies are the process's too.</summary>
    public static ManifestCatalog Shared { get; } = new(() => AppDomain.CurrentDomain.GetAssemblies());

    /// <summary>The manifest of <paramref name="type"/>; refuses a type without one, or one whose manifest another type also carries.</summary>
    public string ManifestOf(Type type)
    {
        if (_manifests.TryGetValue(type, out var manifest))
        {
            return manifest;
        }
        var attribute = type.GetCustomAttribute<ManifestAttribute>(inherit: false)
            ?? throw new SerializationException(
                $"{type.FullName} has no stable manifest: mark it [Manifest(\"...\")] before it is persisted or crosses hosts (a CLR type name must never be stored).");
        // Every loaded assembly, so that a second type under the same manifest is found before
        // anything is written under it (its own assembly included, whatever the loader reports).
        Scan(loadedAssemblies().Append(type.Assembly));
        var types = _types[attribute.Manifest];
        if (types.Length > 1)
        {
            throw Ambiguous(attribute.Manifest, types);
        }
        _manifests[type] = attribute.Manifest;
        return attribute.Manifest;
    }

    /// <summary>The type carrying <paramref name="manifest"/>; rescans on a miss, then refuses naming the manifest.</summary>
    public Type TypeOf(string manifest)
    {
        if (!_types.TryGetValue(manifest, out var types))
        {
            Scan(loadedAssemblies());
            if (!_types.TryGetValue(manifest, out types))
            {
                throw new SerializationException(
                    $"Unknown manifest '{manifest}': no type in the loaded assemblies carries [Manifest(\"{manifest}\")].");
            }
        }
        return types.Length == 1 ? types[0] : throw Ambiguous(manifest, types);
    }

    private void Scan(IEnumerable<Assembly> assemblies)
    {
        lock (_scanLock)
        {
            foreach (var assembly in assemblies)
            {
                if (!_scanned.Add(assembly) || !MayCarryManifests(assembly))
                {
                    continue;
                }
                foreach (var type in LoadableTypes(assembly))
                {
                    if (type.GetCustomAttribute<ManifestAttribute>(inherit: false) is { } attribute)
                    {
                        Add(attribute.Manifest, type);
                    }
                }
            }
        }
    }

    private void Add(string manifest, Type type)
    {
        if (string.IsNullOrWhiteSpace(manifest))
        {
            throw new SerializationException($"{type.FullName} has an empty [Manifest]: give it a stable name such as \"node-closed.v1\".");
        }
        _types.AddOrUpdate(manifest, [type], (_, known) => known.Contains(type) ? known : [.. known, type]);
    }

    /// <summary>True for this assembly and those that reference it: only they can declare [Manifest] types.</summary>
    public static bool MayCarryManifests(Assembly assembly) =>
        !assembly.IsDynamic
        && (assembly == AttributeAssembly
            || assembly.GetReferencedAssemblies().Any(name => AssemblyName.ReferenceMatchesDefinition(name, AttributeAssembly.GetName())));

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            // Types whose dependencies are missing cannot be messages of this process anyway.
            return e.Types.OfType<Type>();
        }
    }

    private static SerializationException Ambiguous(string manifest, Type[] types) =>
        new($"Manifest '{manifest}' is carried by {string.Join(" and ", types.Select(t => $"{t.FullName} ({t.Assembly.GetName().Name})"))}: a manifest must name one type, rename one of them.");
}
