namespace Actors.Config;

/// <summary>
/// A <c>${path}</c> or <c>${?path}</c> reference. Paths are absolute; in an included file they are
/// tried first under <see cref="Prefix"/>, the path the file was included at, as the spec asks.
/// </summary>
internal sealed class HoconSubstitution(HoconPath path, bool isOptional, HoconPath prefix, string raw, SourcePosition position)
    : HoconValue(position)
{
    public HoconPath Path { get; } = path;

    public bool IsOptional { get; } = isOptional;

    public HoconPath Prefix { get; } = prefix;

    /// <summary>The substitution as written, e.g. <c>${?a.b}</c>.</summary>
    public string Raw { get; } = raw;

    public override bool IsDeferred => true;

    public override bool IsResolved => false;

    public override string Describe() => $"substitution {Raw}";
}
