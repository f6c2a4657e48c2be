using System.Runtime.CompilerServices;
using Kind = Actors.Config.HoconTokenKind;

namespace Actors.Config;

/// <summary>
/// Turns tokens into a tree of <see cref="HoconValue"/>s: fields, dotted keys, duplicate keys
/// merged, concatenations joined and includes read. Substitutions stay in the tree;
/// <see cref="SubstitutionResolver"/> resolves them once every file and fallback is merged, since
/// they refer to the root of the final config.
/// </summary>
internal sealed class HoconParser
{
    private readonly IReadOnlyList<HoconToken> _tokens;
    private readonly ParseContext _context;
    private int _index;

    private HoconParser(string text, ParseContext context)
    {
        _tokens = HoconTokenizer.Tokenize(text, context.Origin, context.FirstLine);
        _context = context;
    }

    /// <summary>Parses a document; its root must be an object, with or without braces.</summary>
    public static HoconObject ParseDocument(string text, ParseContext context) => new HoconParser(text, context).ParseRoot();

    /// <summary>
    /// Parses text that is one value, such as an environment override of <paramref name="path"/>.
    /// Empty text is the empty string.
    /// </summary>
    public static HoconValue ParseValue(string text, HoconPath path, ParseContext context)
    {
        var parser = new HoconParser(text, context);
        parser.SkipWhitespaceAndNewlines();
        var start = parser.Peek();
        var value = start.Kind == Kind.End ? new HoconString("", start.Position) : parser.ParseValue(path);
        parser.SkipWhitespaceAndNewlines();
        parser.ExpectEnd("after the value");
        return value;
    }

    /// <summary>Parses one <c>path=value</c> or <c>path+=value</c> into <paramref name="fields"/>; an empty value is the empty string.</summary>
    public static void ParseAssignment(string text, ParseContext context, OrderedDictionary<string, HoconValue> fields)
    {
        var parser = new HoconParser(text, context);
        parser.SkipWhitespace();
        var (path, keyToken) = parser.ParseKey();
        var separator = parser.Peek();
        if (separator.Kind is not (Kind.Equals or Kind.PlusEquals))
        {
            throw new ConfigException(separator.Position, $"expected '=' after '{path}', got {separator.Describe()}");
        }

        parser.Advance();
        parser.SkipWhitespace();
        var start = parser.Peek();
        var value = start.Kind == Kind.End ? new HoconString("", start.Position) : parser.ParseValue(path);
        parser.SkipWhitespace();
        parser.ExpectEnd("after the value");
        if (separator.Kind == Kind.PlusEquals)
        {
            value = Append(path, value, keyToken.Position);
        }

        HoconMerge.AddField(fields, path, value, keyToken.Position);
    }

    // `a += v` is `a = ${?a} [v]`: the target path is absolute, so it gets no include prefix.
    private static HoconValue Append(HoconPath target, HoconValue value, SourcePosition at)
    {
        var previous = new HoconSubstitution(target, isOptional: true, HoconPath.Empty, $"${{?{target}}}", at);
        return HoconConcatenation.Create([previous, new HoconArray([value], value.Position)]);
    }

    private static void EnsureStack(SourcePosition at)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ConfigException(at, "objects and arrays are nested too deeply");
        }
    }

    private HoconToken Peek() => _tokens[_index];

    private HoconToken Advance() => _tokens[_index++];

    private void SkipWhitespace()
    {
        while (Peek().Kind == Kind.Whitespace)
        {
            _index++;
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Peek().Kind is Kind.Whitespace or Kind.Newline)
        {
            _index++;
        }
    }

    private void ExpectEnd(string where)
    {
        var token = Peek();
        if (token.Kind != Kind.End)
        {
            throw new ConfigException(token.Position, $"unexpected {token.Describe()} {where}");
        }
    }

    private HoconObject ParseRoot()
    {
        SkipWhitespaceAndNewlines();
        var first = Peek();
        if (first.Kind == Kind.OpenBracket)
        {
            throw new ConfigException(first.Position, "the root of a config must be an object, not an array");
        }

        if (first.Kind != Kind.OpenBrace)
        {
            return ParseObjectBody(braced: false, _context.IncludePrefix, first.Position);
        }

        Advance();
        var root = ParseObjectBody(braced: true, _context.IncludePrefix, first.Position);
        SkipWhitespaceAndNewlines();
        ExpectEnd("after the root object");
        return root;
    }

    // `path` is the absolute path of the object, for `+=` and for includes; null inside arrays,
    // where an object has no path.
    private HoconObject ParseObjectBody(bool braced, HoconPath? path, SourcePosition open)
    {
        EnsureStack(open);
        var fields = new OrderedDictionary<string, HoconValue>();

        var separators = new Separators("field");
        while (true)
        {
            SkipWhitespace();
            var token = Peek();
            if (separators.TryTake(token, first: fields.Count == 0))
            {
                Advance();
                continue;
            }
            switch (token.Kind)
            {
                case Kind.CloseBrace:
                    if (!braced)
                    {
                        throw new ConfigException(token.Position, "unexpected '}' without a matching '{'");
                    }

                    Advance();
                    return new HoconObject(fields, open);
                case Kind.End:
                    if (braced)
                    {
                        throw new ConfigException(token.Position, $"expected '}}' to close the object opened at {open.Line}:{open.Column}");
                    }

                    return new HoconObject(fields, open);
            }

            separators.BeforeItem(token);
            ParseFieldOrInclude(fields, path);
            separators.ItemTaken();
        }
    }

    /// <summary>
    /// The items of an object or an array are separated by a comma or a newline; one trailing
    /// comma is allowed, two in a row are not, and two items need a separator between them.
    /// </summary>
    private struct Separators(string item)
    {
        private bool _itemSinceComma;
        private bool _needSeparator;

        /// <summary>True when <paramref name="token"/> is a separator (the caller then takes it).</summary>
        public bool TryTake(HoconToken token, bool first)
        {
            switch (token.Kind)
            {
                case Kind.Newline:
                    _needSeparator = false;
                    return true;
                case Kind.Comma:
                    if (!_itemSinceComma)
                    {
                        throw new ConfigException(token.Position, first ? $"unexpected ',' before the first {item}" : "unexpected ',' (two commas in a row)");
                    }
                    _itemSinceComma = false;
                    _needSeparator = false;
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>Refuses an item that follows the previous one on the same line without a comma.</summary>
        public readonly void BeforeItem(HoconToken token)
        {
            if (_needSeparator)
            {
                throw new ConfigException(
                    token.Position,
                    token.Kind is Kind.Colon or Kind.Equals or Kind.PlusEquals
                        ? $"unexpected {token.Describe()} after a value; quote the string if {token.Describe()} is part of it"
                        : $"unexpected {token.Describe()}");
            }
        }

        public void ItemTaken()
        {
            _itemSinceComma = true;
            _needSeparator = true;
        }
    }

    private void ParseFieldOrInclude(OrderedDictionary<string, HoconValue> fields, HoconPath? path)
    {
        var first = Peek();
        if (first.Kind == Kind.Unquoted && first.Text == "include")
        {
            ParseInclude(fields, path);
            return;
        }

        var (key, keyToken) = ParseKey();
        var separator = Peek();
        switch (separator.Kind)
        {
            case Kind.Colon or Kind.Equals or Kind.PlusEquals:
                Advance();
                break;
            case Kind.OpenBrace:
                break;
            case Kind.Newline or Kind.End or Kind.Comma or Kind.CloseBrace:
                throw new ConfigException(separator.Position, $"key '{key}' has no value; expected ':', '=' or '{{' after it");
            default:
                throw new ConfigException(separator.Position, $"expected ':', '=' or '{{' after key '{key}', got {separator.Describe()}");
        }

        SkipWhitespaceAndNewlines();
        var fieldPath = path?.Concat(key);
        var value = ParseValue(fieldPath);
        if (separator.Kind == Kind.PlusEquals)
        {
            value = Append(fieldPath ?? key, value, keyToken.Position);
        }

        HoconMerge.AddField(fields, key, value, keyToken.Position);
    }

    // Reads a key up to its separator; the caller has skipped leading whitespace.
    private (HoconPath Path, HoconToken First) ParseKey()
    {
        var start = _index;
        while (Peek().CanBeInPath)
        {
            _index++;
        }

        var next = Peek();
        if (next.Kind == Kind.Substitution)
        {
            throw new ConfigException(next.Position, "substitutions are not allowed in keys");
        }

        var keyTokens = _tokens.Skip(start).Take(_index - start).ToList();
        if (keyTokens.All(t => t.Kind == Kind.Whitespace))
        {
            throw new ConfigException(next.Position, $"expected a key, got {next.Describe()}");
        }

        return (HoconPath.FromTokens(keyTokens, next.Position), _tokens[start]);
    }

    // A value is every value token up to a newline, comma or closing bracket: one token keeps its
    // type, several make a concatenation.
    private HoconValue ParseValue(HoconPath? path)
    {
        var pieces = new List<HoconValue>();
        while (true)
        {
            var token = Peek();
            HoconValue piece;
            switch (token.Kind)
            {
                case Kind.Whitespace:
                    Advance();
                    if (pieces.Count > 0)
                    {
                        pieces.Add(new HoconString(token.Text, token.Position, isSeparator: true));
                    }

                    continue;
                case Kind.QuotedString or Kind.Unquoted:
                    piece = new HoconString(token.Text, token.Position);
                    break;
                case Kind.Number:
                    piece = new HoconNumber(token.Text, token.Position);
                    break;
                case Kind.True or Kind.False:
                    piece = new HoconBoolean(token.Kind == Kind.True, token.Position);
                    break;
                case Kind.Null:
                    piece = new HoconNull(token.Position);
                    break;
                case Kind.Substitution:
                    var target = HoconPath.FromTokens(token.PathTokens, token.Position);
                    piece = new HoconSubstitution(target, token.IsOptional, _context.IncludePrefix, token.Raw, token.Position);
                    break;
                case Kind.OpenBrace:
                    Advance();
                    pieces.Add(ParseObjectBody(braced: true, path, token.Position));
                    continue;
                case Kind.OpenBracket:
                    Advance();
                    pieces.Add(ParseArray(token.Position));
                    continue;
                default:
                    while (pieces.Count > 0 && HoconConcatenation.IsSeparator(pieces[^1]))
                    {
                        pieces.RemoveAt(pieces.Count - 1);
                    }

                    if (pieces.Count == 0)
                    {
                        throw new ConfigException(token.Position, $"expected a value, got {token.Describe()}");
                    }

                    return pieces.Count == 1 ? pieces[0] : HoconConcatenation.Create(pieces);
            }

            Advance();
            pieces.Add(piece);
        }
    }

    private HoconArray ParseArray(SourcePosition open)
    {
        EnsureStack(open);
        var elements = new List<HoconValue>();
        var separators = new Separators("element");
        while (true)
        {
            SkipWhitespace();
            var token = Peek();
            if (separators.TryTake(token, first: elements.Count == 0))
            {
                Advance();
                continue;
            }
            switch (token.Kind)
            {
                case Kind.CloseBracket:
                    Advance();
                    return new HoconArray(elements, open);
                case Kind.End:
                    throw new ConfigException(token.Position, $"expected ']' to close the array opened at {open.Line}:{open.Column}");
            }

            separators.BeforeItem(token);
            elements.Add(ParseValue(null));
            separators.ItemTaken();
        }
    }

    // include "name" | include file("name") | include required("name") | include required(file("name")).
    // Since '(' and ')' are allowed in unquoted text, the words around the quoted name arrive as
    // unquoted tokens such as `required(file(`, so the form is recognised from their text.
    private void ParseInclude(OrderedDictionary<string, HoconValue> fields, HoconPath? path)
    {
        var include = Advance();
        SkipWhitespaceAndNewlines();
        var form = new System.Text.StringBuilder();
        HoconToken? name = null;
        while (true)
        {
            var token = Peek();
            if (token.Kind == Kind.Whitespace)
            {
                Advance();
            }
            else if (token.Kind == Kind.QuotedString && name is null)
            {
                name = Advance();
                form.Append('"');
            }
            else if (token.Kind == Kind.Unquoted && (name is null || token.Text.All(c => c == ')')))
            {
                form.Append(Advance().Text);
            }
            else
            {
                break;
            }
        }

        var shape = form.ToString();
        if (shape.Contains("url(") || shape.Contains("classpath("))
        {
            throw new ConfigException(include.Position, "include url(...) and classpath(...) are not supported; include a file");
        }

        var required = shape is "required(\")" or "required(file(\"))";
        if (name is null || !(required || shape is "\"" or "file(\")"))
        {
            throw new ConfigException(include.Position, "include must be followed by a quoted file name, file(\"...\") or required(\"...\")");
        }

        var included = IncludeResolver.Load(_context, name.Text, required, include.Position, path ?? HoconPath.Empty);
        foreach (var (key, value) in included.Fields)
        {
            fields[key] = fields.TryGetValue(key, out var existing) ? HoconMerge.Combine(existing, value) : value;
        }
    }
}
