using System.Collections.Immutable;

namespace Host.Daemon;

/// <summary>Parses QEMU's <c>key=value,key=value</c> option lists (a doubled comma is a literal comma).</summary>
public static class KeyValueList
{
    public static ImmutableSortedDictionary<string, string> Parse(string text, string what)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var item in SplitOnSingleCommas(text))
        {
            var equals = item.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"{what}: expected key=value, got '{item}'");
            }
            var key = item[..equals];
            if (!result.TryAdd(key, item[(equals + 1)..]))
            {
                throw new ArgumentException($"{what}: '{key}' is given twice");
            }
        }
        return result.ToImmutable();
    }

    private static IEnumerable<string> SplitOnSingleCommas(string text)
    {
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != ',')
            {
                current.Append(text[i]);
            }
            else if (i + 1 < text.Length && text[i + 1] == ',')
            {
                current.Append(',');
                i++;
            }
            else
            {
                yield return current.ToString();
                current.Clear();
            }
        }
        yield return current.ToString();
    }
}
