namespace Actors.Config;

/// <summary>The kinds of token <see cref="HoconTokenizer"/> produces.</summary>
internal enum HoconTokenKind
{
    End,
    Newline,
    Whitespace,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    QuotedString,
    Unquoted,
    Number,
    True,
    False,
    Null,
    Substitution,
}
