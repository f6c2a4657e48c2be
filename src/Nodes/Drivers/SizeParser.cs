using System.Globalization;

namespace Nodes.Drivers;

/// <summary>Parses sizes the way QEMU's command line does: a number with an optional k/M/G/T/P/E suffix (powers of 1024), or a plain byte count.</summary>
public static class SizeParser
{
    public static long Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new ArgumentException($"{what}: empty size");
        }
        var unit = char.ToUpperInvariant(trimmed[^1]);
        var shift = unit switch { 'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, 'E' => 60, _ => -1 };
        var number = shift >= 0 ? trimmed[..^1] : trimmed;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new ArgumentException($"{what}: '{text}' is not a size (e.g. 4096, 64k, 1G)");
        }
        var bytes = value * Math.Pow(2, Math.Max(shift, 0));
        if (bytes > long.MaxValue)
        {
            throw new ArgumentException($"{what}: '{text}' is too large");
        }
        return (long)bytes;
    }
}
