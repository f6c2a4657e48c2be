using System.Collections.Immutable;
using System.Text.Json;
using Nodes.Graph;

namespace Host.Daemon;

/// <summary><c>--blockdev</c>: a node to add, from a key=value list or a JSON object.</summary>
/// <param name="NodeName">The node's <c>node-name</c>.</param>
/// <param name="Driver">The driver (<c>file</c>, <c>raw</c>, <c>qcow2</c>, ...).</param>
/// <param name="Children">Child node-names by role: <c>file</c> and <c>backing</c>, as given.</param>
/// <param name="Options">The other keys: the driver's options.</param>
public sealed record BlockdevOption(string NodeName, string Driver, ImmutableSortedDictionary<string, string> Children, ImmutableSortedDictionary<string, string> Options)
{
    private static readonly string[] ChildRoles = [ChildRole.File, ChildRole.Backing];

    public static BlockdevOption Parse(string value)
    {
        var properties = value.TrimStart().StartsWith('{') ? FromJson(value) : KeyValueList.Parse(value, "--blockdev");
        var driver = properties.GetValueOrDefault("driver") ?? throw new ArgumentException("--blockdev: Parameter 'driver' is missing");
        var name = properties.GetValueOrDefault("node-name") ?? throw new ArgumentException("--blockdev: Parameter 'node-name' is missing");
        var children = properties.Where(p => ChildRoles.Contains(p.Key)).ToImmutableSortedDictionary(StringComparer.Ordinal);
        return new BlockdevOption(name, driver, children, properties.RemoveRange(["driver", "node-name", .. ChildRoles]));
    }

    private static ImmutableSortedDictionary<string, string> FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            Flatten(document.RootElement, "", result);
            return result.ToImmutable();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--blockdev: invalid JSON: {e.Message}");
        }
    }

    /// <summary>A nested object's members become dotted keys (<c>"server": {"type": "unix"}</c> is <c>server.type=unix</c>), as in the key=value form.</summary>
    private static void Flatten(JsonElement element, string prefix, ImmutableSortedDictionary<string, string>.Builder result)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(property.Value, key + ".", result);
                continue;
            }
            result[key] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.True => "on",
                JsonValueKind.False => "off",
                JsonValueKind.Number => property.Value.GetRawText(),
                _ => throw new ArgumentException($"--blockdev: '{key}' must be a string, number, boolean or object"),
            };
        }
    }
}
