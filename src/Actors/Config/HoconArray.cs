namespace Actors.Config;

/// <summary>An array; its elements may still hold substitutions.</summary>
internal sealed class HoconArray : HoconValue
{
    public HoconArray(IReadOnlyList<HoconValue> elements, SourcePosition position)
        : base(position)
    {
        Elements = elements;
        IsResolved = elements.All(e => e.IsResolved);
    }

    public IReadOnlyList<HoconValue> Elements { get; }

    public override bool IsResolved { get; }

    public override string Describe() => "array";
}
