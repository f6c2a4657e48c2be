using System.Text.Json;

namespace Host.Qmp;

/// <summary>
/// The <c>arguments</c> of one QMP command (or a nested object of them), read member by member
/// the way QEMU's QAPI input visitor does, so a client sees QEMU's own words: "Parameter
/// 'node-name' is missing", "Invalid parameter type for 'size', expected: integer",
/// "Parameter 'foo' is unexpected" (checked by <see cref="EnsureNoneLeft"/> once every known
/// member was taken).
/// </summary>
public sealed class QmpArguments
{
    private readonly Dictionary<string, JsonElement> _members;
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly string _prefix;

    private QmpArguments(Dictionary<string, JsonElement> members, string prefix)
    {
        _members = members;
        _prefix = prefix;
    }

    /// <summary>Arguments from a request's <c>arguments</c> member; absent means none.</summary>
    public static QmpArguments From(JsonElement? arguments) => arguments is { } element ? Of(element, "") : new([], "");

    private static QmpArguments Of(JsonElement element, string prefix)
    {
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            // QEMU's JSON parser refuses a repeated key; a last-one-wins reading would hide a typo.
            if (!members.TryAdd(member.Name, member.Value))
            {
                throw QmpError.GenericError($"Duplicate key '{prefix}{member.Name}'");
            }
        }
        return new QmpArguments(members, prefix);
    }

    public string RequiredString(string name) => AsString(name, Required(name));

    public string? OptionalString(string name) => Optional(name) is { } value ? AsString(name, value) : null;

    public bool OptionalBool(string name, bool @default) => Optional(name) is { } value
        ? value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw InvalidType(name, "boolean"),
        }
        : @default;

    public long? OptionalInteger(string name) => Optional(name) is { } value
        ? value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : throw InvalidType(name, "integer")
        : null;

    /// <summary>A nested object member (e.g. <c>addr</c>), whose own members are named <c>addr.path</c> in errors.</summary>
    public QmpArguments RequiredObject(string name)
    {
        var value = Required(name);
        return value.ValueKind == JsonValueKind.Object ? Of(value, $"{_prefix}{name}.") : throw InvalidType(name, "object");
    }

    /// <summary>A member that is a list of objects (blockdev-reopen's <c>options</c>), each read as <c>options[0].node-name</c> in errors.</summary>
    public IReadOnlyList<QmpArguments> RequiredObjects(string name)
    {
        var value = Required(name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw InvalidType(name, "array");
        }
        return [.. value.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.Object
            ? Of(item, $"{_prefix}{name}[{i}].")
            : throw InvalidType($"{name}[{i}]", "object"))];
    }

    /// <summary>A member of any type, for callers that accept several (<c>file</c>: a node-name or a definition).</summary>
    public JsonElement? Optional(string name)
    {
        _taken.Add(name);
        return _members.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>The members no one took yet, taking them (driver options passed through by blockdev-add).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonElement>> TakeRest()
    {
        var rest = _members.Where(m => !_taken.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        foreach (var member in rest)
        {
            _taken.Add(member.Key);
        }
        return rest;
    }

    /// <summary>Refuses the first member no command code asked for, as QEMU does.</summary>
    public void EnsureNoneLeft()
    {
        var unexpected = _members.Keys.Where(k => !_taken.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (unexpected is not null)
        {
            throw QmpError.GenericError($"Parameter '{_prefix}{unexpected}' is unexpected");
        }
    }

    public QmpError InvalidType(string name, string expected) =>
        QmpError.GenericError($"Invalid parameter type for '{_prefix}{name}', expected: {expected}");

    private JsonElement Required(string name) =>
        Optional(name) ?? throw QmpError.GenericError($"Parameter '{_prefix}{name}' is missing");

    private string AsString(string name, JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw InvalidType(name, "string");
}
