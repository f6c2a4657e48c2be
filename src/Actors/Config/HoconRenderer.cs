using System.Text;

namespace Actors.Config;

/// <summary>
/// Writes a resolved tree as HOCON that reads well and parses back to the same values: keys in
/// order, objects as <c>key { ... }</c>, arrays of simple values on one line, and strings quoted
/// only when they would otherwise read as something else.
/// </summary>
internal static class HoconRenderer
{
    private const string Indent = "  ";

    public static string Render(HoconObject root)
    {
        var text = new StringBuilder();
        RenderFields(text, root, 0);
        return text.ToString();
    }

    /// <summary>A key as written in a path: quoted unless it is a plain word.</summary>
    public static string RenderKey(string key) =>
        IsPlainWord(key, allowDots: false) && key != "include" ? key : Quote(key);

    /// <summary>A string value: unquoted when it is a plain word that cannot read as another type.</summary>
    public static string RenderString(string value) => IsPlainWord(value, allowDots: true) ? value : Quote(value);

    public static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }

    // Letters, digits, '_', '-' (and '.' in values), starting with a letter or '_', and not a word
    // the tokenizer gives another meaning.
    private static bool IsPlainWord(string text, bool allowDots) =>
        text.Length > 0
        && (char.IsAsciiLetter(text[0]) || text[0] == '_')
        && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (allowDots && c == '.'))
        && text is not ("true" or "false" or "null");

    private static void RenderFields(StringBuilder text, HoconObject obj, int depth)
    {
        foreach (var (key, value) in obj.Fields)
        {
            Pad(text, depth).Append(RenderKey(key)).Append(value is HoconObject ? " " : " = ");
            RenderValue(text, value, depth);
            text.Append('\n');
        }
    }

    private static void RenderValue(StringBuilder text, HoconValue value, int depth)
    {
        switch (value)
        {
            case HoconObject { Count: 0 }:
                text.Append("{}");
                break;
            case HoconObject obj:
                text.Append("{\n");
                RenderFields(text, obj, depth + 1);
                Pad(text, depth).Append('}');
                break;
            case HoconArray { Elements.Count: 0 }:
                text.Append("[]");
                break;
            case HoconArray array when array.Elements.All(e => e is not (HoconObject or HoconArray)):
                text.Append('[');
                for (var i = 0; i < array.Elements.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    RenderValue(text, array.Elements[i], depth);
                }

                text.Append(']');
                break;
            case HoconArray array:
                text.Append("[\n");
                foreach (var element in array.Elements)
                {
                    Pad(text, depth + 1);
                    RenderValue(text, element, depth + 1);
                    text.Append('\n');
                }

                Pad(text, depth).Append(']');
                break;
            case HoconString s:
                text.Append(RenderString(s.Value));
                break;
            case HoconNumber n:
                text.Append(n.Text);
                break;
            case HoconBoolean b:
                text.Append(b.Text);
                break;
            case HoconNull:
                text.Append("null");
                break;
            default:
                throw new InvalidOperationException($"cannot render a {value.Describe()}: the tree is not resolved");
        }
    }

    private static StringBuilder Pad(StringBuilder text, int depth)
    {
        for (var i = 0; i < depth; i++)
        {
            text.Append(Indent);
        }

        return text;
    }
}
