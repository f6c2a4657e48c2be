using System.Globalization;

namespace Actors.Config;

/// <summary>
/// A number, kept as written: concatenation and paths must use the original text (<c>10.0</c> stays
/// <c>10.0</c>), and conversion to a CLR type happens only when a getter asks for one.
/// </summary>
internal sealed class HoconNumber(string text, SourcePosition position) : HoconValue(position)
{
    public string Text { get; } = text;

    public override bool IsResolved => true;

    public override string Describe() => $"number {Text}";

    /// <summary>
    /// True for JSON's number syntax, except that leading zeros are allowed (<c>007</c>), as the
    /// reference implementation does.
    /// </summary>
    public static bool IsValid(string text)
    {
        var i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (!SkipDigits(text, ref i))
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (!SkipDigits(text, ref i))
            {
                return false;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            if (!SkipDigits(text, ref i))
            {
                return false;
            }
        }

        return i == text.Length;
    }

    /// <summary>Reads number text as a whole number; false when it has a fraction or is out of range.</summary>
    public static bool TryGetLong(string text, out long value)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        // 1e3 is a whole number written as a double.
        if (TryGetDouble(text, out var d) && Math.Floor(d) == d && d >= long.MinValue && d < 9223372036854775808d)
        {
            value = (long)d;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads number text as a double; false when it is not valid number text.</summary>
    public static bool TryGetDouble(string text, out double value)
    {
        if (IsValid(text))
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        value = 0;
        return false;
    }

    private static bool SkipDigits(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i > start;
    }
}
