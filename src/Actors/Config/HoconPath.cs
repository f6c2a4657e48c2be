using System.Collections.Immutable;
using System.Text;

namespace Actors.Config;

/// <summary>A path through nested objects, one key per element: <c>a."b.c".d</c> is [a, b.c, d].</summary>
internal sealed class HoconPath
{
    public static readonly HoconPath Empty = new(ImmutableArray<string>.Empty);

    private HoconPath(ImmutableArray<string> segments) => Segments = segments;

    public ImmutableArray<string> Segments { get; }

    public int Length => Segments.Length;

    public string this[int index] => Segments[index];

    public static HoconPath Of(IEnumerable<string> segments) => new([.. segments]);

    /// <summary>
    /// Parses a path as getters take it (<c>a."b.c".d</c>); an invalid one throws a
    /// <see cref="ConfigException"/> that quotes it.
    /// </summary>
    public static HoconPath Parse(string text)
    {
        try
        {
            var tokens = HoconTokenizer.Tokenize(text, "path");
            var pathTokens = tokens.Take(tokens.Count - 1).ToList();
            var bad = pathTokens.FirstOrDefault(t => !t.CanBeInPath);
            if (bad is not null)
            {
                throw new ConfigException(bad.Position, $"unexpected {bad.Describe()}");
            }

            return FromTokens(pathTokens, tokens[^1].Position);
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"invalid path '{text}': {e.Detail}", e);
        }
    }

    /// <summary>
    /// Builds a path from the tokens of a key or substitution. Dots outside quotes separate elements,
    /// also inside numbers (<c>1.5</c> is [1, 5]); whitespace between tokens is kept (<c>a b</c> is one
    /// key); an empty element must be quoted (<c>a."".b</c>), so <c>a..b</c> is an error.
    /// </summary>
    public static HoconPath FromTokens(IReadOnlyList<HoconToken> tokens, SourcePosition where)
    {
        var first = 0;
        var last = tokens.Count - 1;
        while (first <= last && tokens[first].Kind == HoconTokenKind.Whitespace)
        {
            first++;
        }

        while (last >= first && tokens[last].Kind == HoconTokenKind.Whitespace)
        {
            last--;
        }

        if (first > last)
        {
            throw new ConfigException(where, "expected a path");
        }

        var raw = string.Concat(tokens.Skip(first).Take(last - first + 1).Select(t => t.Raw));
        var segments = ImmutableArray.CreateBuilder<string>();
        var current = new StringBuilder();
        var quoted = false;
        var lastDot = tokens[first].Position;
        for (var i = first; i <= last; i++)
        {
            var token = tokens[i];
            if (token.Kind is HoconTokenKind.QuotedString or HoconTokenKind.Whitespace)
            {
                current.Append(token.Text);
                quoted |= token.Kind == HoconTokenKind.QuotedString;
                continue;
            }

            // Unquoted tokens never span lines, so a character's column is the token's plus its index.
            for (var k = 0; k < token.Text.Length; k++)
            {
                if (token.Text[k] == '.')
                {
                    lastDot = token.Position with { Column = token.Position.Column + k };
                    Finish(lastDot);
                }
                else
                {
                    current.Append(token.Text[k]);
                }
            }
        }

        Finish(lastDot);
        return new HoconPath(segments.ToImmutable());

        void Finish(SourcePosition at)
        {
            if (current.Length == 0 && !quoted)
            {
                throw new ConfigException(at, $"path '{raw}' has an empty element; write \"\" for an empty key");
            }

            segments.Add(current.ToString());
            current.Clear();
            quoted = false;
        }
    }

    public HoconPath Concat(HoconPath other) => other.Length == 0 ? this : Length == 0 ? other : new([.. Segments, .. other.Segments]);

    public HoconPath Take(int length) => new(Segments[..length]);

    /// <summary>The name of the environment variable a missing substitution of this path falls back to.</summary>
    public string ToEnvironmentName() => string.Join('.', Segments);

    /// <summary>The path as it would be written, quoting elements that need it.</summary>
    public override string ToString() => string.Join('.', Segments.Select(HoconRenderer.RenderKey));
}
