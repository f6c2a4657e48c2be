using System.Collections.Immutable;
using System.Text.Json;

namespace Host.Cli;

/// <summary><c>--blockdev</c>: a node to add, from a key=value list or a JSON object.</summary>
public sealed record BlockdevOption(string NodeName, string Driver, string? File, ImmutableSortedDictionary<string, string> Options)
{
    public static BlockdevOption Parse(string value)
    {
        var properties = value.TrimStart().StartsWith('{') ? FromJson(value) : KeyValueList.Parse(value, "--blockdev");
        var driver = properties.GetValueOrDefault("driver") ?? throw new ArgumentException("--blockdev: Parameter 'driver' is missing");
        var name = properties.GetValueOrDefault("node-name") ?? throw new ArgumentException("--blockdev: Parameter 'node-name' is missing");
        return new BlockdevOption(name, driver, properties.GetValueOrDefault("file"), properties.Remove("driver").Remove("node-name").Remove("file"));
    }

    private static ImmutableSortedDictionary<string, string> FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                result[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText() switch
                    {
                        "true" => "on",
                        "false" => "off",
                        var raw => raw,
                    },
                    _ => throw new ArgumentException($"--blockdev: '{property.Name}' must be a string, number or boolean (nested objects are not supported yet)"),
                };
            }
            return result.ToImmutable();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--blockdev: invalid JSON: {e.Message}");
        }
    }
}
