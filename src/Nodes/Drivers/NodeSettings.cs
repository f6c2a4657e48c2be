using System.Collections.Immutable;

namespace Nodes.Drivers;

/// <summary>What a driver's factory gets to build a node: its name and its blockdev options.</summary>
/// <param name="Name">The node-name.</param>
/// <param name="Options">The driver's options, flattened as <c>key=value</c> (QEMU's <c>--blockdev</c> syntax).</param>
/// <param name="Clock">The clock of the node's IoThread (throttling and delays use it).</param>
public sealed record NodeSettings(string Name, ImmutableSortedDictionary<string, string> Options, TimeProvider Clock)
{
    /// <summary>An option, or <paramref name="default"/> when absent.</summary>
    public string Get(string key, string @default) => Options.GetValueOrDefault(key, @default);

    /// <summary>A size option (<c>1G</c>, <c>64M</c>, <c>512</c>), validated; names the node and key when malformed.</summary>
    public long GetSize(string key, long @default) =>
        Options.TryGetValue(key, out var text) ? SizeParser.Parse(text, $"node '{Name}' option '{key}'") : @default;

    /// <summary>A boolean option (<c>on/off</c>, <c>true/false</c>).</summary>
    public bool GetBool(string key, bool @default) => Options.TryGetValue(key, out var text)
        ? text switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new ArgumentException($"Node '{Name}' option '{key}': expected on or off, got '{text}'"),
        }
        : @default;
}
