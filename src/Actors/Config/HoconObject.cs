namespace Actors.Config;

/// <summary>An object: fields in the order their keys first appeared; values may still hold substitutions.</summary>
internal sealed class HoconObject : HoconValue
{
    private readonly OrderedDictionary<string, HoconValue> _fields;

    /// <summary>Takes ownership of <paramref name="fields"/>: the caller must not change it afterwards.</summary>
    public HoconObject(OrderedDictionary<string, HoconValue> fields, SourcePosition position, bool ignoresFallbacks = false)
        : base(position)
    {
        _fields = fields;
        IgnoresFallbacks = ignoresFallbacks;
        IsResolved = fields.Values.All(v => v.IsResolved);
    }

    /// <summary>
    /// True when the object replaced a non-object (<c>a = 42</c>, then <c>a { x = 1 }</c>). Merging
    /// goes two values at a time, so the object must remember that nothing below it may merge in any
    /// more, however the layers are grouped: <c>x.WithFallback(y).WithFallback(z)</c> must equal
    /// <c>x.WithFallback(y.WithFallback(z))</c>.
    /// </summary>
    public bool IgnoresFallbacks { get; }

    public int Count => _fields.Count;

    public IEnumerable<string> Keys => _fields.Keys;

    public IEnumerable<KeyValuePair<string, HoconValue>> Fields => _fields;

    public override bool IsResolved { get; }

    public static HoconObject Empty(SourcePosition position) => new(new OrderedDictionary<string, HoconValue>(), position);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out HoconValue value) =>
        _fields.TryGetValue(key, out value);

    public HoconObject WithIgnoresFallbacks() => IgnoresFallbacks ? this : new(_fields, Position, ignoresFallbacks: true);

    public override string Describe() => "object";
}
