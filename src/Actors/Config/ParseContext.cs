using System.Collections.Immutable;

namespace Actors.Config;

/// <summary>
/// What the parser of one document needs to know beyond its text: the origin for messages, the
/// directory relative includes are found in, the path the document was included at (its substitutions
/// are tried under it first) and the files already being included, to stop include cycles.
/// </summary>
internal sealed record ParseContext(
    string Origin,
    string BaseDirectory,
    HoconPath IncludePrefix,
    ImmutableList<string> IncludeChain,
    int FirstLine = 1)
{
    /// <summary>
    /// A context for text that is not a file. Its relative includes are found from the current
    /// directory, as there is no including file to be relative to.
    /// </summary>
    public static ParseContext ForText(string origin, int firstLine = 1) =>
        new(origin, "", HoconPath.Empty, [], firstLine);

    /// <summary>A context for the file at <paramref name="path"/>, named in messages as given.</summary>
    public static ParseContext ForFile(string path, HoconPath includePrefix, ImmutableList<string> includeChain) =>
        new(path, Path.GetDirectoryName(path) ?? "", includePrefix, includeChain.Add(Path.GetFullPath(path)));
}
