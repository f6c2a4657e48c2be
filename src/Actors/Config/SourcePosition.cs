namespace Actors.Config;

/// <summary>
/// Where a token or value comes from. <see cref="Line"/> is 0 for origins that have no lines, such as
/// an environment variable; then only the origin is shown.
/// </summary>
internal readonly record struct SourcePosition(string Origin, int Line, int Column)
{
    /// <summary>A position that names only its origin, e.g. <c>env var HOME</c>.</summary>
    public static SourcePosition Of(string origin) => new(origin, 0, 0);

    public override string ToString() => Line > 0 ? $"{Origin}:{Line}:{Column}" : Origin;
}
