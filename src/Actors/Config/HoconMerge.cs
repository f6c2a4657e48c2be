namespace Actors.Config;

/// <summary>
/// Merging as the spec defines it for duplicate keys, includes and fallbacks: a later object merges
/// into an earlier object, anything else replaces what was there. When either side is deferred the
/// outcome depends on what it resolves to, so both are kept in a <see cref="HoconMergeStack"/>.
/// </summary>
internal static class HoconMerge
{
    /// <summary>The value of a field set to <paramref name="earlier"/> and then to <paramref name="later"/>.</summary>
    public static HoconValue Combine(HoconValue earlier, HoconValue later)
    {
        if (earlier is HoconObject earlierObject && later is HoconObject laterObject)
        {
            return MergeObjects(earlierObject, laterObject);
        }

        // A known non-object wins outright, and so does an object over a known non-object; the
        // earlier value can no longer be seen, not even by a self-reference.
        if (later is HoconObject { IgnoresFallbacks: true })
        {
            return later;
        }

        if (!later.IsDeferred && !earlier.IsDeferred)
        {
            return later is HoconObject obj ? obj.WithIgnoresFallbacks() : later;
        }

        if (!later.IsDeferred && later is not HoconObject)
        {
            return later;
        }

        return new HoconMergeStack([.. LayersOf(earlier), .. LayersOf(later)]);
    }

    /// <summary>Merges <paramref name="later"/> into <paramref name="earlier"/>; keys keep their first position.</summary>
    public static HoconObject MergeObjects(HoconObject earlier, HoconObject later)
    {
        if (later.IgnoresFallbacks || earlier.Count == 0)
        {
            return later;
        }

        if (later.Count == 0)
        {
            return earlier;
        }

        var fields = new OrderedDictionary<string, HoconValue>(earlier.Fields);
        foreach (var (key, value) in later.Fields)
        {
            fields[key] = fields.TryGetValue(key, out var existing) ? Combine(existing, value) : value;
        }

        return new HoconObject(fields, earlier.Position, earlier.IgnoresFallbacks);
    }

    /// <summary>
    /// Sets <paramref name="path"/> in <paramref name="fields"/> the way <c>a.b.c = value</c> does:
    /// as <c>a { b { c = value } }</c>, merged with what <c>a</c> already holds.
    /// </summary>
    public static void AddField(OrderedDictionary<string, HoconValue> fields, HoconPath path, HoconValue value, SourcePosition position)
    {
        for (var i = path.Length - 1; i >= 1; i--)
        {
            value = new HoconObject(new OrderedDictionary<string, HoconValue> { [path[i]] = value }, position);
        }

        fields[path[0]] = fields.TryGetValue(path[0], out var existing) ? Combine(existing, value) : value;
    }

    private static IEnumerable<HoconValue> LayersOf(HoconValue value) =>
        value is HoconMergeStack stack ? stack.Layers : [value];
}
