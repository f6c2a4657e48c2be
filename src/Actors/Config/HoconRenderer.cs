using System.Text;
using System.Text.RegularExpressions;

namespace Actors.Config;

/// <summary>
/// Writes a resolved tree as HOCON that reads well and parses back to the same values: keys in
/// order, objects as <c>key { ... }</c>, arrays of simple values on one line, and strings quoted
/// only when they would otherwise read as something else.
/// </summary>
internal static partial class HoconRenderer
{
    private const string Indent = "  ";

    /// <summary>What a secret is printed as.</summary>
    public const string Redacted = "<redacted>";

    /// <summary>
    /// <paramref name="root"/> as HOCON; with <paramref name="redactSecrets"/>, the value of every
    /// key named <c>password</c> (or ending in <c>-password</c>) and the password inside every
    /// <c>connection-string</c> read <see cref="Redacted"/>.
    /// </summary>
    public static string Render(HoconObject root, bool redactSecrets = false)
    {
        var text = new StringBuilder();
        RenderFields(text, root, 0, redactSecrets);
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

    private static void RenderFields(StringBuilder text, HoconObject obj, int depth, bool redactSecrets)
    {
        foreach (var (key, value) in obj.Fields)
        {
            Pad(text, depth).Append(RenderKey(key)).Append(value is HoconObject ? " " : " = ");
            RenderValue(text, redactSecrets ? Redact(key, value) : value, depth, redactSecrets);
            text.Append('\n');
        }
    }

    private static HoconValue Redact(string key, HoconValue value) => value switch
    {
        HoconString { Value.Length: > 0 } secret when key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.EndsWith("-password", StringComparison.OrdinalIgnoreCase) =>
            new HoconString(Redacted, secret.Position),
        HoconString connection when key == "connection-string" => new HoconString(ConnectionPassword().Replace(connection.Value, $"$1={Redacted}"), connection.Position),
        _ => value,
    };

    // Npgsql's and SQLite's keywords for it: Password, Pwd.
    [GeneratedRegex("(?i)\\b(password|pwd)\\s*=[^;]*")]
    private static partial Regex ConnectionPassword();

    private static void RenderValue(StringBuilder text, HoconValue value, int depth, bool redactSecrets)
    {
        switch (value)
        {
            case HoconObject { Count: 0 }:
                text.Append("{}");
                break;
            case HoconObject obj:
                text.Append("{\n");
                RenderFields(text, obj, depth + 1, redactSecrets);
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
                    RenderValue(text, array.Elements[i], depth, redactSecrets);
                }

                text.Append(']');
                break;
            case HoconArray array:
                text.Append("[\n");
                foreach (var element in array.Elements)
                {
                    Pad(text, depth + 1);
                    RenderValue(text, element, depth + 1, redactSecrets);
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
