namespace Actors.Config;

/// <summary>A string, quoted or not.</summary>
internal sealed class HoconString(string value, SourcePosition position, bool isSeparator = false) : HoconValue(position)
{
    private const int DescribedLength = 40;

    public string Value { get; } = value;

    /// <summary>
    /// True for unquoted whitespace between concatenated values: kept inside a string, dropped between
    /// arrays or objects (where quoted whitespace would be an error).
    /// </summary>
    public bool IsSeparator { get; } = isSeparator;

    public override bool IsResolved => true;

    public override string Describe() => Value.Length <= DescribedLength
        ? $"string '{Value}'"
        : $"string '{Value[..DescribedLength]}...'";
}
