using System.Text;

namespace Actors.Config;

/// <summary>
/// Writes a resolved tree as text that Akka.NET's own parser (<c>Akka.Configuration</c>) reads back to
/// the same values. The text is JSON: every key and every string quoted and escaped, <c>"key": value</c>
/// and commas, because Akka 1.5.75 reads JSON reliably but not all of HOCON (a comma after
/// <c>key { }</c> is an error there, and an unquoted string could read as a substitution or a unit).
/// Under <c>akka.*</c>, where Akka's getters read the values, three more rules apply:
/// <list type="bullet">
/// <item>durations and sizes that Akka reads differently are rewritten (<see cref="AkkaUnits"/>);</item>
/// <item>a whole number written with an exponent (<c>1e3</c>) is written as an integer, since Akka's
/// <c>GetInt</c> refuses the exponent while ours accepts it;</item>
/// <item>a string with leading or trailing whitespace is a <see cref="ConfigException"/>: Akka trims every
/// string it reads (even <c>\u0020</c>), so the value would not reach it as written.</item>
/// </list>
/// Outside <c>akka.*</c> values are written as they are, for whatever reads them through Akka's config.
/// </summary>
internal static class AkkaRenderer
{
    private const string Indent = "  ";
    private const string AkkaRoot = "akka";

    public static string Render(HoconObject root)
    {
        var text = new StringBuilder();
        WriteObject(text, root, path: "", depth: 0, underAkka: false);
        return text.Append('\n').ToString();
    }

    private static void WriteObject(StringBuilder text, HoconObject obj, string path, int depth, bool underAkka)
    {
        if (obj.Count == 0)
        {
            text.Append("{}");
            return;
        }

        text.Append("{\n");
        var first = true;
        foreach (var (key, value) in obj.Fields)
        {
            text.Append(first ? "" : ",\n");
            first = false;
            Pad(text, depth + 1).Append(HoconRenderer.Quote(key)).Append(": ");
            var keyPath = path.Length == 0 ? HoconRenderer.RenderKey(key) : $"{path}.{HoconRenderer.RenderKey(key)}";
            WriteValue(text, value, keyPath, depth + 1, underAkka || (depth == 0 && key == AkkaRoot));
        }

        text.Append('\n');
        Pad(text, depth).Append('}');
    }

    private static void WriteValue(StringBuilder text, HoconValue value, string path, int depth, bool underAkka)
    {
        switch (value)
        {
            case HoconObject obj:
                WriteObject(text, obj, path, depth, underAkka);
                break;
            case HoconArray { Elements.Count: 0 }:
                text.Append("[]");
                break;
            case HoconArray array:
                text.Append("[\n");
                for (var i = 0; i < array.Elements.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",\n");
                    Pad(text, depth + 1);
                    WriteValue(text, array.Elements[i], $"{path}[{i}]", depth + 1, underAkka);
                }

                text.Append('\n');
                Pad(text, depth).Append(']');
                break;
            case HoconString s:
                text.Append(HoconRenderer.Quote(underAkka ? ForAkka(s, path) : s.Value));
                break;
            case HoconNumber n:
                text.Append(underAkka ? ForAkka(n) : n.Text);
                break;
            case HoconBoolean b:
                text.Append(b.Text);
                break;
            case HoconNull:
                text.Append("null");
                break;
            default:
                throw new InvalidOperationException($"{path}: cannot hand a {value.Describe()} to Akka: the tree is not resolved");
        }
    }

    private static string ForAkka(HoconString value, string path)
    {
        var s = value.Value;
        if (s.Length > 0 && (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])))
        {
            throw new ConfigException(value.Position, $"{path}: Akka trims leading and trailing whitespace from every string, so {HoconRenderer.Quote(s)} cannot reach it as written");
        }

        return AkkaUnits.ForAkka(value, path);
    }

    private static string ForAkka(HoconNumber value) => AkkaUnits.WholeNumberWithExponent(value.Text) ?? value.Text;

    private static StringBuilder Pad(StringBuilder text, int depth)
    {
        for (var i = 0; i < depth; i++)
        {
            text.Append(Indent);
        }

        return text;
    }
}
