using System.Text;
using System.Text.RegularExpressions;

namespace Host.Qmp;

/// <summary>
/// Says what is wrong with a malformed request the way QEMU's JSON parser does (<c>invalid keyword
/// 'tru'</c>, <c>expecting value</c>, <c>missing ':' in object pair</c>), and where: line and column
/// within the request, both from 1. System.Text.Json's own wording ("Expected the literal 'true'.
/// LineNumber: 0 | BytePositionInLine: 1") is not what a QMP client should have to read, so the
/// request is looked at again from its start up to where the reader stopped.
/// </summary>
internal static partial class QmpSyntaxError
{
    /// <summary>What a request holds that QEMU's lexer and parser would refuse, and where.</summary>
    /// <param name="request">The request's bytes, from its first byte on.</param>
    /// <param name="offset">Where the reader stopped (the byte it refused).</param>
    /// <param name="maxDepth">The deepest nesting a request may have.</param>
    public static string Describe(ReadOnlySpan<byte> request, int offset, int maxDepth)
    {
        offset = Math.Clamp(offset, 0, request.Length);
        var context = Context.Scan(request[..offset]);
        var at = offset;
        string what;
        if (context.InString)
        {
            what = request[offset - 1] == '\\' && offset < request.Length ? $"invalid escape '\\{Printable(request, offset)}' in string" : "invalid string";
        }
        else if (Scalar(request, context.ScalarStart ?? offset) is { Length: > 0 } token && !IsValidScalar(token))
        {
            at = context.ScalarStart ?? offset;
            what = char.IsAsciiLetter(token[0]) ? $"invalid keyword '{token}'" : $"invalid number '{token}'";
        }
        else if (offset == request.Length)
        {
            what = "unexpected end of input";
        }
        else
        {
            what = request[offset] switch
            {
                (byte)'{' or (byte)'[' when context.Depth >= maxDepth => $"nesting deeper than {maxDepth} levels",
                (byte)'\'' => "single-quoted strings are not supported; use \"",
                var c when !IsJsonByte(c) => $"stray '{Printable(request, offset)}'",
                var c => context.Expecting switch
                {
                    Expectation.Key when c == '}' => "trailing ',' in object",
                    Expectation.Key => "key is not a string in object",
                    Expectation.Colon => "missing ':' in object pair",
                    Expectation.Value when c == ']' && context.AfterComma => "trailing ',' in array",
                    Expectation.Value => "expecting value",
                    _ when context.InObject => "expecting ',' or '}' in object",
                    _ => "expecting ',' or ']' in array",
                },
            };
        }
        var (line, column) = Position(request[..at]);
        return $"{what} at line {line}, column {column}";
    }

    /// <summary>What comes next where the reader stopped.</summary>
    private enum Expectation
    {
        Value,
        Key,
        Colon,
        CommaOrEnd,
    }

    /// <summary>The run of number or keyword characters starting at <paramref name="start"/>.</summary>
    private static string Scalar(ReadOnlySpan<byte> request, int start)
    {
        var end = start;
        while (end < request.Length && IsScalarByte(request[end]))
        {
            end++;
        }
        return Encoding.ASCII.GetString(request[start..end]);
    }

    private static bool IsValidScalar(string token) => token is "true" or "false" or "null" || NumberPattern().IsMatch(token);

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();

    private static bool IsScalarByte(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'+' or (byte)'.';

    private static bool IsJsonByte(byte b) => IsScalarByte(b) || b is (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)':' or (byte)',' or (byte)'"';

    /// <summary>The character at <paramref name="offset"/>, escaped when it is a control character.</summary>
    private static string Printable(ReadOnlySpan<byte> request, int offset)
    {
        System.Text.Rune.DecodeFromUtf8(request[offset..], out var rune, out _);
        return System.Text.Rune.IsControl(rune) ? $"\\x{rune.Value:x2}" : rune.ToString();
    }

    /// <summary>Line and column (in characters) just after <paramref name="before"/>, both from 1.</summary>
    private static (int Line, int Column) Position(ReadOnlySpan<byte> before)
    {
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        var line = before.Count((byte)'\n') + 1;
        var column = 1;
        foreach (var b in before[lineStart..])
        {
            // Count characters, not bytes: skip UTF-8 continuation bytes.
            if ((b & 0xC0) != 0x80)
            {
                column++;
            }
        }
        return (line, column);
    }

    /// <summary>The parser's state after the bytes the reader accepted: nesting, inside a string or not, and what it expects next.</summary>
    private readonly record struct Context(int Depth, bool InObject, bool InString, Expectation Expecting, bool AfterComma, int? ScalarStart)
    {
        public static Context Scan(ReadOnlySpan<byte> accepted)
        {
            var containers = new Stack<byte>();
            var expecting = Expectation.Value;
            var inString = false;
            var afterComma = false;
            int? scalarStart = null;
            for (var i = 0; i < accepted.Length; i++)
            {
                var b = accepted[i];
                if (inString)
                {
                    if (b == '\\')
                    {
                        i++;
                    }
                    else if (b == '"')
                    {
                        inString = false;
                    }
                    continue;
                }
                if (IsScalarByte(b))
                {
                    scalarStart ??= i;
                    continue;
                }
                if (scalarStart is not null)
                {
                    scalarStart = null;
                    expecting = Expectation.CommaOrEnd;
                }
                switch (b)
                {
                    case (byte)'"':
                        inString = true;
                        expecting = expecting == Expectation.Key ? Expectation.Colon : Expectation.CommaOrEnd;
                        afterComma = false;
                        break;
                    case (byte)'{':
                        containers.Push(b);
                        expecting = Expectation.Key;
                        afterComma = false;
                        break;
                    case (byte)'[':
                        containers.Push(b);
                        expecting = Expectation.Value;
                        afterComma = false;
                        break;
                    case (byte)'}' or (byte)']':
                        containers.TryPop(out _);
                        expecting = Expectation.CommaOrEnd;
                        afterComma = false;
                        break;
                    case (byte)':':
                        expecting = Expectation.Value;
                        afterComma = false;
                        break;
                    case (byte)',':
                        expecting = containers.TryPeek(out var top) && top == '{' ? Expectation.Key : Expectation.Value;
                        afterComma = true;
                        break;
                }
            }
            return new Context(containers.Count, containers.TryPeek(out var innermost) && innermost == '{', inString, expecting, afterComma, scalarStart);
        }
    }
}
