namespace Actors.Config;

/// <summary>
/// An immutable HOCON configuration. Substitutions are resolved against the root of the whole
/// config the first time a value is read (or by <see cref="Resolve"/>), so a config can be layered
/// with <see cref="WithFallback"/> first and resolved afterwards. Paths use dots, with quoted
/// elements where a key has a dot in it: <c>a."b.c".d</c>. A path set to null counts as missing.
/// </summary>
public sealed class Config
{
    private readonly HoconObject _root;
    private readonly Lazy<HoconObject> _resolved;

    internal Config(HoconObject root)
    {
        _root = root;
        _resolved = root.IsResolved
            ? new Lazy<HoconObject>(root)
            : new Lazy<HoconObject>(() => SubstitutionResolver.Resolve(root, Environment.GetEnvironmentVariable));
    }

    /// <summary>A config with no settings.</summary>
    public static Config Empty { get; } = new(HoconObject.Empty(SourcePosition.Of("empty config")));

    /// <summary>True when the config has no settings (after resolving, when it has substitutions).</summary>
    public bool IsEmpty => _root.Count == 0 || Resolved.Count == 0;

    /// <summary>The names of the root object's fields, in the order they first appeared.</summary>
    public IReadOnlyList<string> Keys => [.. Resolved.Keys];

    // The whole tree with its substitutions resolved, for renderers (AkkaRenderer).
    internal HoconObject Resolved => _resolved.Value;

    /// <summary>True when <paramref name="path"/> has a value other than null.</summary>
    public bool HasPath(string path) => Find(path, throwOnNonObject: false) is not (null or HoconNull);

    /// <summary>The value at <paramref name="path"/> as a string; numbers and booleans are given as written.</summary>
    public string GetString(string path) => HoconConversions.AsString(Require(path), path);

    /// <summary>The string at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public string GetString(string path, string @default) =>
        Optional(path) is { } value ? HoconConversions.AsString(value, path) : @default;

    /// <summary>The value at <paramref name="path"/> as a 32-bit integer.</summary>
    public int GetInt(string path) => HoconConversions.AsInt(Require(path), path);

    /// <summary>The 32-bit integer at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public int GetInt(string path, int @default) =>
        Optional(path) is { } value ? HoconConversions.AsInt(value, path) : @default;

    /// <summary>The value at <paramref name="path"/> as a 64-bit integer.</summary>
    public long GetLong(string path) => HoconConversions.AsLong(Require(path), path);

    /// <summary>The 64-bit integer at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public long GetLong(string path, long @default) =>
        Optional(path) is { } value ? HoconConversions.AsLong(value, path) : @default;

    /// <summary>The value at <paramref name="path"/> as a double.</summary>
    public double GetDouble(string path) => HoconConversions.AsDouble(Require(path), path);

    /// <summary>The double at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public double GetDouble(string path, double @default) =>
        Optional(path) is { } value ? HoconConversions.AsDouble(value, path) : @default;

    /// <summary>The value at <paramref name="path"/> as a boolean; the strings yes/no and on/off count too.</summary>
    public bool GetBoolean(string path) => HoconConversions.AsBoolean(Require(path), path);

    /// <summary>The boolean at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public bool GetBoolean(string path, bool @default) =>
        Optional(path) is { } value ? HoconConversions.AsBoolean(value, path) : @default;

    /// <summary>
    /// The duration at <paramref name="path"/>: a number is milliseconds, a string is a number with a
    /// unit (ns, us, ms, s, m, h, d or their long names), and <c>infinite</c> is <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public TimeSpan GetTimeSpan(string path) => HoconConversions.AsTimeSpan(Require(path), path);

    /// <summary>The duration at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public TimeSpan GetTimeSpan(string path, TimeSpan @default) =>
        Optional(path) is { } value ? HoconConversions.AsTimeSpan(value, path) : @default;

    /// <summary>
    /// The size in bytes at <paramref name="path"/>: a number is bytes, a string is a number with a unit
    /// (kB/MB/GB... are powers of 1000; K/KiB, M/MiB, G/GiB... are powers of 1024).
    /// </summary>
    public long GetBytes(string path) => HoconConversions.AsBytes(Require(path), path);

    /// <summary>The size in bytes at <paramref name="path"/>, or <paramref name="default"/> when it is missing.</summary>
    public long GetBytes(string path, long @default) =>
        Optional(path) is { } value ? HoconConversions.AsBytes(value, path) : @default;

    /// <summary>The array at <paramref name="path"/>, each element read as <see cref="GetString(string)"/> would.</summary>
    public IReadOnlyList<string> GetStringList(string path)
    {
        var value = Require(path);
        if (value is not HoconArray array)
        {
            throw HoconConversions.WrongType(value, path, "an array");
        }

        return [.. array.Elements.Select((element, i) => HoconConversions.AsString(element, $"{path}[{i}]"))];
    }

    /// <summary>The object at <paramref name="path"/> as a config of its own (resolved); <see cref="Empty"/> when missing.</summary>
    public Config GetConfig(string path)
    {
        var value = Optional(path);
        return value switch
        {
            null => Empty,
            HoconObject obj => new Config(obj),
            _ => throw HoconConversions.WrongType(value, path, "an object"),
        };
    }

    /// <summary>
    /// This config layered over <paramref name="fallback"/>: this config's values win and objects
    /// merge recursively, as if the fallback's text came first in the same file. Substitutions are
    /// resolved on the merged result, so they see values from both.
    /// </summary>
    public Config WithFallback(Config fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (fallback._root.Count == 0)
        {
            return this;
        }

        return _root.Count == 0 ? fallback : new Config(HoconMerge.MergeObjects(fallback._root, _root));
    }

    /// <summary>
    /// This config with every substitution resolved. Getters resolve on their own; call this to find
    /// errors early. Throws <see cref="ConfigException"/> for a missing required substitution or a cycle.
    /// </summary>
    public Config Resolve() => _root.IsResolved ? this : new Config(Resolved);

    /// <summary>The resolved config as HOCON text, keys in order; parsing it gives the same values.</summary>
    public string Render() => HoconRenderer.Render(Resolved);

    /// <summary>
    /// <see cref="Render"/> for showing (<c>--print-config</c>, logs): passwords, and the password
    /// inside every <c>connection-string</c>, read <c>&lt;redacted&gt;</c>.
    /// </summary>
    public string RenderRedacted() => HoconRenderer.Render(Resolved, redactSecrets: true);

    /// <summary>Same as <see cref="Render"/>.</summary>
    public override string ToString() => Render();

    private HoconValue Require(string path) => Find(path, throwOnNonObject: true) switch
    {
        null => throw new ConfigException($"{path}: no setting at this path"),
        var value => value,
    };

    // The value at the path, or null when it is missing or set to null.
    private HoconValue? Optional(string path) => Find(path, throwOnNonObject: true) is { } value and not HoconNull ? value : null;

    private HoconValue? Find(string path, bool throwOnNonObject)
    {
        var segments = HoconPath.Parse(path);
        HoconValue current = Resolved;
        for (var i = 0; i < segments.Length; i++)
        {
            if (current is not HoconObject obj)
            {
                if (!throwOnNonObject || current is HoconNull)
                {
                    return null;
                }

                throw new ConfigException(current.Position, $"{path}: '{segments.Take(i)}' is {current.Describe()}, not an object");
            }

            if (!obj.TryGetValue(segments[i], out var child))
            {
                return null;
            }

            current = child;
        }

        return current;
    }
}
