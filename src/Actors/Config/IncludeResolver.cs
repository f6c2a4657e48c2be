namespace Actors.Config;

/// <summary>
/// Finds and parses the file an <c>include</c> names. Relative names are found next to the including
/// file, never from the current directory of the process; a missing file is ignored unless the
/// include is <c>required(...)</c>.
/// </summary>
internal static class IncludeResolver
{
    /// <summary>
    /// Returns the included object, or an empty one when the file is missing and not required. A name
    /// without an extension loads <c>name.json</c> and then <c>name.conf</c>, merged, as the spec asks.
    /// </summary>
    public static HoconObject Load(ParseContext including, string name, bool required, SourcePosition at, HoconPath prefix)
    {
        string[] candidates = Path.HasExtension(name) ? [name] : [name + ".json", name + ".conf"];
        HoconObject? result = null;
        foreach (var candidate in candidates)
        {
            var file = Path.IsPathRooted(candidate) ? candidate : Path.Combine(including.BaseDirectory, candidate);
            if (!File.Exists(file))
            {
                continue;
            }

            var fullPath = Path.GetFullPath(file);
            if (including.IncludeChain.Contains(fullPath))
            {
                var cycle = string.Join(" -> ", including.IncludeChain.Append(fullPath));
                throw new ConfigException(at, $"include cycle: {cycle}");
            }

            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException(at, $"cannot read included file '{file}': {e.Message}", e);
            }

            var included = HoconParser.ParseDocument(text, ParseContext.ForFile(file, prefix, including.IncludeChain));
            result = result is null ? included : HoconMerge.MergeObjects(result, included);
        }

        if (result is null && required)
        {
            var looked = string.Join(" or ", candidates.Select(c => Path.IsPathRooted(c) ? c : Path.Combine(including.BaseDirectory, c)));
            throw new ConfigException(at, $"required include '{name}' not found (looked for {looked})");
        }

        return result ?? HoconObject.Empty(at);
    }
}
