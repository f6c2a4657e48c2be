namespace Actors.Config;

/// <summary>An object: fields in the order their keys first appeared; values may still hold substitutions.</summary>
internal sealed class HoconObject : HoconValue
{
    private readonly OrderedDictionary<string, HoconValue> _fields;

    /// <summary>Takes ownership of <paramref name="fields"/>: the caller must not change it afterwards.</summary>
    public HoconObject(OrderedDictionary<string, HoconValue> fields, SourcePosition position)
        : base(position)
    {
        _fields = fields;
        IsResolved = fields.Values.All(v => v.IsResolved);
    }

    public int Count => _fields.Count;

    public IEnumerable<string> Keys => _fields.Keys;

    public IEnumerable<KeyValuePair<string, HoconValue>> Fields => _fields;

    public override bool IsResolved { get; }

    public static HoconObject Empty(SourcePosition position) => new(new OrderedDictionary<string, HoconValue>(), position);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out HoconValue value) =>
        _fields.TryGetValue(key, out value);

    public override string Describe() => "object";
}
