using System.Text;

namespace Actors.Config;

/// <summary>
/// Values written next to each other on one line, e.g. <c>${host}":"${port}</c> or
/// <c>${defaults} { b = 1 }</c>. Without substitutions the parser joins them at once; with one, the
/// pieces wait here until their kinds are known.
/// </summary>
internal sealed class HoconConcatenation : HoconValue
{
    private HoconConcatenation(IReadOnlyList<HoconValue> pieces, SourcePosition position)
        : base(position)
    {
        Pieces = pieces;
    }

    /// <summary>The pieces in order, unquoted whitespace between them included.</summary>
    public IReadOnlyList<HoconValue> Pieces { get; }

    public override bool IsDeferred => true;

    public override bool IsResolved => false;

    public override string Describe() => "concatenation";

    /// <summary>Joins the pieces the parser found, or keeps them for later when a substitution is among them.</summary>
    public static HoconValue Create(IReadOnlyList<HoconValue> pieces)
    {
        var position = pieces[0].Position;

        // Mixing e.g. a literal string with an array can never work; report it while parsing.
        CheckKinds(pieces.Where(p => !p.IsDeferred), position);
        return pieces.Any(p => p.IsDeferred) ? new HoconConcatenation(pieces, position) : Join(pieces, position);
    }

    /// <summary>
    /// Joins pieces that hold no deferred value: strings (and other simple values) into one string
    /// with the whitespace between them, arrays into one array, objects merged left to right.
    /// Leading and trailing separators must already be removed.
    /// </summary>
    public static HoconValue Join(IReadOnlyList<HoconValue> pieces, SourcePosition position)
    {
        if (pieces.Count == 1)
        {
            return pieces[0];
        }

        CheckKinds(pieces, position);
        var values = pieces.Where(p => !IsSeparator(p)).ToList();
        switch (values[0])
        {
            case HoconObject:
                return values.Cast<HoconObject>().Aggregate(HoconMerge.MergeObjects);
            case HoconArray:
                return new HoconArray([.. values.Cast<HoconArray>().SelectMany(a => a.Elements)], position);
        }

        var text = new StringBuilder();
        foreach (var piece in pieces)
        {
            text.Append(piece switch
            {
                HoconString s => s.Value,
                HoconNumber n => n.Text,
                HoconBoolean b => b.Text,
                _ => "null",
            });
        }

        return new HoconString(text.ToString(), position);
    }

    /// <summary>True for unquoted whitespace between pieces.</summary>
    public static bool IsSeparator(HoconValue value) => value is HoconString { IsSeparator: true };

    private static void CheckKinds(IEnumerable<HoconValue> pieces, SourcePosition position)
    {
        HoconValue? first = null;
        foreach (var piece in pieces)
        {
            if (IsSeparator(piece))
            {
                continue;
            }

            if (first is null)
            {
                first = piece;
            }
            else if (KindOf(piece) != KindOf(first))
            {
                throw new ConfigException(position, $"cannot concatenate {first.Describe()} with {piece.Describe()}: "
                    + "only strings with strings, arrays with arrays and objects with objects");
            }
        }
    }

    private static int KindOf(HoconValue value) => value switch
    {
        HoconObject => 1,
        HoconArray => 2,
        _ => 0,
    };
}
