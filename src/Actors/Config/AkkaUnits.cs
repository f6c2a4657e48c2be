using System.Globalization;
using AkkaConfigurationFactory = Akka.Configuration.ConfigurationFactory;

namespace Actors.Config;

/// <summary>
/// Durations and sizes under <c>akka.*</c>, brought to what Akka's getters read. Our units format
/// (<see cref="UnitFormat"/>) and Akka 1.5.75's differ: Akka has no <c>us</c> or <c>ns</c> (it says
/// <c>micros</c>), no exponent in a size (<c>1e3</c>) or before a unit (<c>1e3ms</c>), no fraction in a
/// size (<c>1.5K</c>), no <c>KB</c>, and no negative duration at all. A string that we read as a duration
/// or a size and that Akka reads as the same value passes unchanged, so ordinary values (<c>10s</c>,
/// <c>64M</c>, host names) are never touched; one that Akka reads differently or not at all is rewritten
/// to a form Akka reads as our value, checked by asking Akka's own parser; one that has no such form is
/// a <see cref="ConfigException"/> naming the key.
/// </summary>
internal static class AkkaUnits
{
    /// <summary>The text Akka should receive for <paramref name="value"/>, found at <paramref name="path"/>.</summary>
    public static string ForAkka(HoconString value, string path)
    {
        var text = value.Value;
        if (WholeNumberWithExponent(text) is { } whole)
        {
            return whole;
        }

        if (!LooksLikeQuantity(text))
        {
            return text;
        }

        long? ourTicks = UnitFormat.TryParseDuration(text, out var duration, out _) ? duration.Ticks : null;
        long? ourBytes = UnitFormat.TryParseBytes(text, out var bytes, out _) ? bytes : null;
        var durationAgrees = ourTicks is null || AkkaTicks(text) == ourTicks;
        var sizeAgrees = ourBytes is null || AkkaBytes(text) == ourBytes;
        if (durationAgrees && sizeAgrees)
        {
            return text;
        }

        // Only "m" is both (minutes, mebibytes), and Akka agrees on both; a unit added to one side
        // later could make a value mean two things, and the key's type is not known here.
        if (ourTicks is not null && ourBytes is not null)
        {
            throw new ConfigException(value.Position, $"{path}: '{text}' reads as a duration or as a size, and Akka reads the {(durationAgrees ? "size" : "duration")} differently; write it in a unit that is not both");
        }

        if (ourTicks is { } ticks)
        {
            if (ticks < 0)
            {
                throw new ConfigException(value.Position, $"{path}: Akka accepts no negative duration, so '{text}' cannot reach it");
            }

            return DurationForms(ticks).FirstOrDefault(form => AkkaTicks(form) == ticks)
                ?? throw new ConfigException(value.Position, $"{path}: Akka reads no form of the duration '{text}' ({ticks} ticks of 100 ns) exactly; give it in whole milliseconds");
        }

        var byteCount = ourBytes!.Value.ToString(CultureInfo.InvariantCulture);
        return AkkaBytes(byteCount) == ourBytes
            ? byteCount
            : throw new ConfigException(value.Position, $"{path}: Akka cannot read the size '{text}' ({byteCount} bytes)");
    }

    /// <summary>
    /// <paramref name="text"/> as a plain integer when it is a whole number written with an exponent
    /// (<c>1e3</c>): Akka's GetInt and GetByteSize refuse the exponent, while ours read it. Null otherwise.
    /// </summary>
    public static string? WholeNumberWithExponent(string text) =>
        text.AsSpan().IndexOfAny('e', 'E') >= 0 && HoconNumber.IsValid(text) && HoconNumber.TryGetLong(text, out var whole)
            ? whole.ToString(CultureInfo.InvariantCulture)
            : null;

    // A number followed by a unit, e.g. "10us", "1.5 K", "-5s", "1e3ms". A bare number needs no
    // rewriting: both read it as milliseconds or bytes. "infinite" both read alike too.
    private static bool LooksLikeQuantity(string text)
    {
        var trimmed = text.AsSpan().Trim();
        return trimmed.Length > 1
            && (char.IsAsciiDigit(trimmed[0]) || trimmed[0] is '-' or '+' or '.')
            && char.IsAsciiLetter(trimmed[^1]);
    }

    // Forms of a duration that Akka reads, most readable first: whole milliseconds, whole
    // microseconds, then milliseconds with a fraction (which Akka reads through a double).
    private static IEnumerable<string> DurationForms(long ticks)
    {
        if (ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            yield return $"{ticks / TimeSpan.TicksPerMillisecond}ms";
        }

        if (ticks % TimeSpan.TicksPerMicrosecond == 0)
        {
            yield return $"{ticks / TimeSpan.TicksPerMicrosecond}micros";
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"{(decimal)ticks / TimeSpan.TicksPerMillisecond}ms");
    }

    private static long? AkkaTicks(string text)
    {
        try
        {
            return AkkaValue(text).GetTimeSpan("v").Ticks;
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return null;
        }
    }

    private static long? AkkaBytes(string text)
    {
        try
        {
            return AkkaValue(text).GetByteSize("v");
        }
        catch (Exception e) when (IsRefusal(e))
        {
            return null;
        }
    }

    // Asks Akka's own parser and getters, so that the answer is Akka's whatever its version.
    private static Akka.Configuration.Config AkkaValue(string text) =>
        AkkaConfigurationFactory.ParseString("v = " + HoconRenderer.Quote(text));

    private static bool IsRefusal(Exception e) =>
        e is FormatException or OverflowException or ArgumentException or Akka.Configuration.ConfigurationException;
}
