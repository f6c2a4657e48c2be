using System.Globalization;
using System.Text;

namespace Actors.Config;

/// <summary>
/// Splits HOCON text into tokens. Whitespace and newlines are tokens because value concatenation
/// keeps the whitespace between values and a newline separates fields; comments are dropped.
/// </summary>
internal sealed class HoconTokenizer
{
    // Characters that end an unquoted string. Some have a meaning; the spec reserves the rest.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    // A number starts at a digit or '-' and takes every following character from this set; when the
    // result is not a number it is unquoted text instead (e.g. a version "1.2.3" or a date "2024-01-02").
    private const string NumberChars = "0123456789.eE+-";

    private readonly string _text;
    private readonly string _origin;
    private int _index;
    private int _line;
    private int _column = 1;

    private HoconTokenizer(string text, string origin, int firstLine)
    {
        _text = text;
        _origin = origin;
        _line = firstLine;
    }

    /// <summary>
    /// Tokenizes <paramref name="text"/>; the last token is always <see cref="HoconTokenKind.End"/>.
    /// <paramref name="firstLine"/> numbers the first line, for text that is one line of something larger.
    /// </summary>
    public static IReadOnlyList<HoconToken> Tokenize(string text, string origin, int firstLine = 1)
    {
        var tokenizer = new HoconTokenizer(text, origin, firstLine);
        var tokens = new List<HoconToken>();
        HoconToken token;
        do
        {
            token = tokenizer.Next();
            tokens.Add(token);
        }
        while (token.Kind != HoconTokenKind.End);
        return tokens;
    }

    /// <summary>Whitespace as the spec defines it: Unicode separators plus the ASCII control whitespace.</summary>
    public static bool IsWhitespace(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or '\u001C' or '\u001D' or '\u001E' or '\u001F' or '\uFEFF' => true,
        _ => char.GetUnicodeCategory(c) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator,
    };

    /// <summary>True for characters that cannot appear in an unquoted string.</summary>
    public static bool IsForbidden(char c) => Forbidden.Contains(c);

    private SourcePosition Here => new(_origin, _line, _column);

    private char? PeekAt(int ahead) => _index + ahead < _text.Length ? _text[_index + ahead] : null;

    private void Advance(int count = 1)
    {
        for (var i = 0; i < count; i++)
        {
            if (_text[_index] == '\n')
            {
                _line++;
                _column = 1;
            }
            else
            {
                _column++;
            }

            _index++;
        }
    }

    private HoconToken Next()
    {
        while (_index < _text.Length)
        {
            var c = _text[_index];
            if (c == '#' || (c == '/' && PeekAt(1) == '/'))
            {
                while (_index < _text.Length && _text[_index] != '\n')
                {
                    Advance();
                }

                continue;
            }

            return Read(c);
        }

        return new HoconToken(HoconTokenKind.End, "", "", Here);
    }

    private HoconToken Read(char c)
    {
        var start = Here;
        var startIndex = _index;
        switch (c)
        {
            case '\n': return Single(HoconTokenKind.Newline);
            case '{': return Single(HoconTokenKind.OpenBrace);
            case '}': return Single(HoconTokenKind.CloseBrace);
            case '[': return Single(HoconTokenKind.OpenBracket);
            case ']': return Single(HoconTokenKind.CloseBracket);
            case ',': return Single(HoconTokenKind.Comma);
            case ':': return Single(HoconTokenKind.Colon);
            case '=': return Single(HoconTokenKind.Equals);
            case '+':
                if (PeekAt(1) != '=')
                {
                    throw new ConfigException(start, "'+' must be followed by '=' (quote the string if '+' is part of it)");
                }

                Advance(2);
                return Slice(HoconTokenKind.PlusEquals, start, startIndex);
            case '"':
                return PeekAt(1) == '"' && PeekAt(2) == '"' ? ReadTripleQuoted(start) : ReadQuoted(start);
            case '$':
                if (PeekAt(1) != '{')
                {
                    throw new ConfigException(start, "'$' must start a substitution '${path}' (quote the string if '$' is part of it)");
                }

                return ReadSubstitution(start);
        }

        if (IsWhitespace(c))
        {
            while (_index < _text.Length && _text[_index] != '\n' && IsWhitespace(_text[_index]))
            {
                Advance();
            }

            return Slice(HoconTokenKind.Whitespace, start, startIndex);
        }

        if (IsForbidden(c))
        {
            throw new ConfigException(start, $"'{c}' is reserved in unquoted text; quote the string if '{c}' is part of it");
        }

        return c == '-' || char.IsAsciiDigit(c) ? ReadNumber(start) : ReadUnquoted(start);
    }

    private HoconToken Single(HoconTokenKind kind)
    {
        var start = Here;
        var startIndex = _index;
        Advance();
        return Slice(kind, start, startIndex);
    }

    private HoconToken Slice(HoconTokenKind kind, SourcePosition start, int startIndex)
    {
        var text = _text[startIndex.._index];
        return new HoconToken(kind, text, text, start);
    }

    private HoconToken ReadNumber(SourcePosition start)
    {
        var startIndex = _index;
        while (_index < _text.Length && NumberChars.Contains(_text[_index]))
        {
            Advance();
        }

        var text = _text[startIndex.._index];
        if (HoconNumber.IsValid(text))
        {
            return new HoconToken(HoconTokenKind.Number, text, text, start);
        }

        if (text.Contains('+'))
        {
            throw new ConfigException(start, $"'{text}' is not a number; quote it if it is a string");
        }

        return new HoconToken(HoconTokenKind.Unquoted, text, text, start);
    }

    private HoconToken ReadUnquoted(SourcePosition start)
    {
        var startIndex = _index;
        while (_index < _text.Length)
        {
            var c = _text[_index];
            if (IsWhitespace(c) || IsForbidden(c) || (c == '/' && PeekAt(1) == '/'))
            {
                break;
            }

            Advance();
        }

        var text = _text[startIndex.._index];
        var kind = text switch
        {
            "true" => HoconTokenKind.True,
            "false" => HoconTokenKind.False,
            "null" => HoconTokenKind.Null,
            _ => HoconTokenKind.Unquoted,
        };
        return new HoconToken(kind, text, text, start);
    }

    private HoconToken ReadQuoted(SourcePosition start)
    {
        var startIndex = _index;
        var value = new StringBuilder();
        Advance();
        while (true)
        {
            if (_index >= _text.Length || _text[_index] == '\n')
            {
                throw new ConfigException(start, "quoted string is not closed on its line (use \"\"\" for a string of several lines)");
            }

            var c = _text[_index];
            if (c == '"')
            {
                Advance();
                return new HoconToken(HoconTokenKind.QuotedString, value.ToString(), _text[startIndex.._index], start);
            }

            if (c == '\\')
            {
                value.Append(ReadEscape());
                continue;
            }

            if (c < ' ')
            {
                throw new ConfigException(Here, $"control character U+{(int)c:X4} must be escaped in a quoted string");
            }

            value.Append(c);
            Advance();
        }
    }

    private char ReadEscape()
    {
        var at = Here;
        Advance();
        var c = PeekAt(0);
        switch (c)
        {
            case '"' or '\\' or '/':
                Advance();
                return c.Value;
            case 'b': Advance(); return '\b';
            case 'f': Advance(); return '\f';
            case 'n': Advance(); return '\n';
            case 'r': Advance(); return '\r';
            case 't': Advance(); return '\t';
            case 'u':
                if (_index + 5 <= _text.Length
                    && int.TryParse(_text.AsSpan(_index + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    Advance(5);
                    return (char)code;
                }

                throw new ConfigException(at, "'\\u' must be followed by four hex digits");
            default:
                var shown = c is null ? "\\" : $"\\{c}";
                throw new ConfigException(at, $"invalid escape '{shown}' in quoted string");
        }
    }

    private HoconToken ReadTripleQuoted(SourcePosition start)
    {
        var startIndex = _index;
        Advance(3);
        var contentStart = _index;
        while (_index < _text.Length)
        {
            if (_text[_index] == '"' && PeekAt(1) == '"' && PeekAt(2) == '"')
            {
                // Like Scala: any run of three or more quotes ends the string, and the quotes beyond
                // the last three belong to it, so """a"""" is the string a".
                var quotes = 0;
                while (PeekAt(quotes) == '"')
                {
                    quotes++;
                }

                var value = _text[contentStart..(_index + quotes - 3)];
                Advance(quotes);
                return new HoconToken(HoconTokenKind.QuotedString, value, _text[startIndex.._index], start);
            }

            Advance();
        }

        throw new ConfigException(start, "triple-quoted string is not closed with \"\"\"");
    }

    private HoconToken ReadSubstitution(SourcePosition start)
    {
        var startIndex = _index;
        Advance(2);
        var optional = false;
        if (PeekAt(0) == '?')
        {
            optional = true;
            Advance();
        }

        var pathTokens = new List<HoconToken>();
        while (true)
        {
            var token = Next();
            switch (token.Kind)
            {
                case HoconTokenKind.CloseBrace:
                    var raw = _text[startIndex.._index];
                    return new HoconToken(HoconTokenKind.Substitution, raw, raw, start)
                    {
                        IsOptional = optional,
                        PathTokens = pathTokens,
                    };
                case HoconTokenKind.Newline or HoconTokenKind.End:
                    throw new ConfigException(start, "substitution '${' is not closed with '}' on its line");
                case HoconTokenKind.Substitution:
                    throw new ConfigException(token.Position, "substitutions cannot be nested");
                default:
                    if (!token.CanBeInPath)
                    {
                        throw new ConfigException(token.Position, $"unexpected {token.Describe()} in substitution");
                    }

                    pathTokens.Add(token);
                    break;
            }
        }
    }
}
