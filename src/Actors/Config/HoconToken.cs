namespace Actors.Config;

/// <summary>
/// One token of HOCON text. <see cref="Text"/> is its value (a quoted string without its quotes and
/// escapes); <see cref="Raw"/> is the text as written, for messages.
/// </summary>
internal sealed record HoconToken(HoconTokenKind Kind, string Text, string Raw, SourcePosition Position)
{
    /// <summary>For a substitution: true when written <c>${?path}</c>.</summary>
    public bool IsOptional { get; init; }

    /// <summary>For a substitution: the tokens of the path expression between <c>${</c> and <c>}</c>.</summary>
    public IReadOnlyList<HoconToken> PathTokens { get; init; } = [];

    /// <summary>True for the tokens a path expression (a key, or the inside of <c>${}</c>) is made of.</summary>
    public bool CanBeInPath => Kind is HoconTokenKind.Unquoted or HoconTokenKind.QuotedString or HoconTokenKind.Number
        or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null or HoconTokenKind.Whitespace;

    /// <summary>How error messages name this token.</summary>
    public string Describe() => Kind switch
    {
        HoconTokenKind.End => "end of input",
        HoconTokenKind.Newline => "newline",
        HoconTokenKind.Whitespace => "whitespace",
        HoconTokenKind.QuotedString => $"string {Raw}",
        HoconTokenKind.Substitution => $"substitution {Raw}",
        _ => $"'{Raw}'",
    };
}
