using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Actors.Config;

/// <summary>
/// The spec's "units format" for durations and sizes: a number, optional whitespace and an optional
/// unit made of letters, e.g. <c>250ms</c>, <c>1.5 h</c> or <c>512MiB</c>.
/// </summary>
internal static class UnitFormat
{
    private const string DurationUnits = "ns, us, ms, s, m, h, d (or their long names)";

    // Ticks (100 ns) per unit. Duration units are case sensitive and lowercase, per the spec.
    private static readonly Dictionary<string, decimal> TicksPerUnit = BuildDurationUnits();

    private static readonly Dictionary<string, decimal> BytesPerUnit = BuildSizeUnits();

    /// <summary>Reads a duration; a bare number is milliseconds and <c>infinite</c> is <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        if (text.Trim() == "infinite")
        {
            value = Timeout.InfiniteTimeSpan;
            error = null;
            return true;
        }

        if (!TrySplit(text, out var number, out var unit, out error))
        {
            return false;
        }

        if (!TicksPerUnit.TryGetValue(unit.Length == 0 ? "ms" : unit, out var ticksPerUnit))
        {
            error = $"unknown duration unit '{unit}' (use {DurationUnits})";
            return false;
        }

        if (!TryMultiply(number, ticksPerUnit, TimeSpan.MinValue.Ticks, TimeSpan.MaxValue.Ticks, out var ticks))
        {
            error = "duration is out of range";
            return false;
        }

        value = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>Reads a size in bytes; a bare number is bytes. Fractions of a byte are dropped.</summary>
    public static bool TryParseBytes(string text, out long value, [NotNullWhen(false)] out string? error)
    {
        value = 0;
        if (!TrySplit(text, out var number, out var unit, out error))
        {
            return false;
        }

        if (!BytesPerUnit.TryGetValue(unit, out var bytesPerUnit))
        {
            error = $"unknown size unit '{unit}' (use B, kB/KB, MB, GB... for powers of 1000 or K/KiB, M/MiB, G/GiB... for powers of 1024)";
            return false;
        }

        if (number < 0)
        {
            error = "a size cannot be negative";
            return false;
        }

        if (!TryMultiply(number, bytesPerUnit, 0, long.MaxValue, out value))
        {
            error = "size is out of range";
            return false;
        }

        return true;
    }

    // Splits "1.5 h" into 1.5 and "h": the unit is the run of letters at the end.
    private static bool TrySplit(string text, out decimal number, out string unit, [NotNullWhen(false)] out string? error)
    {
        var trimmed = text.Trim();
        var unitStart = trimmed.Length;
        while (unitStart > 0 && char.IsLetter(trimmed[unitStart - 1]))
        {
            unitStart--;
        }

        unit = trimmed[unitStart..];
        var numberText = trimmed[..unitStart].TrimEnd();
        if (numberText.Length == 0)
        {
            number = 0;
            error = "expected a number before the unit";
            return false;
        }

        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (!decimal.TryParse(numberText, style, CultureInfo.InvariantCulture, out number))
        {
            error = $"'{numberText}' is not a number";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryMultiply(decimal number, decimal factor, long min, long max, out long result)
    {
        result = 0;
        try
        {
            var product = decimal.Truncate(number * factor);
            if (product < min || product > max)
            {
                return false;
            }

            result = (long)product;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static Dictionary<string, decimal> BuildDurationUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal ticks, params string[] names)
        {
            foreach (var name in names)
            {
                units.Add(name, ticks);
            }
        }

        Add(0.01m, "ns", "nanosecond", "nanoseconds");
        Add(TimeSpan.TicksPerMicrosecond, "us", "microsecond", "microseconds");
        Add(TimeSpan.TicksPerMillisecond, "ms", "millisecond", "milliseconds");
        Add(TimeSpan.TicksPerSecond, "s", "second", "seconds");
        Add(TimeSpan.TicksPerMinute, "m", "minute", "minutes");
        Add(TimeSpan.TicksPerHour, "h", "hour", "hours");
        Add(TimeSpan.TicksPerDay, "d", "day", "days");
        return units;
    }

    private static Dictionary<string, decimal> BuildSizeUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            [""] = 1, ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1,
        };
        (string Letter, string Decimal, string Binary)[] prefixes =
        [
            ("K", "kilo", "kibi"), ("M", "mega", "mebi"), ("G", "giga", "gibi"), ("T", "tera", "tebi"),
            ("P", "peta", "pebi"), ("E", "exa", "exbi"), ("Z", "zetta", "zebi"), ("Y", "yotta", "yobi"),
        ];
        decimal powerOf1000 = 1;
        decimal powerOf1024 = 1;
        foreach (var (letter, decimalName, binaryName) in prefixes)
        {
            powerOf1000 *= 1000;
            powerOf1024 *= 1024;

            // The spec writes kilo as "kB"; "KB" is accepted too and means the same, like MB or GB.
            foreach (var name in new[] { letter + "B", decimalName + "byte", decimalName + "bytes" })
            {
                units[name] = powerOf1000;
            }

            if (letter == "K")
            {
                units["kB"] = powerOf1000;
            }

            foreach (var name in new[] { letter, letter.ToLowerInvariant(), letter + "i", letter + "iB", binaryName + "byte", binaryName + "bytes" })
            {
                units[name] = powerOf1024;
            }
        }

        return units;
    }
}
