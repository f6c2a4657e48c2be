using System.Collections;
using System.Collections.Immutable;
using System.Text;

namespace Actors.Config;

/// <summary>Creates <see cref="Config"/>s from HOCON text, files, environment overrides and command-line assignments.</summary>
public static class ConfigFactory
{
    private const string ForcePrefix = "CONFIG_FORCE_";

    private static readonly Lazy<HoconObject> s_reference = new(LoadReference);

    /// <summary>A config with no settings.</summary>
    public static Config Empty => Config.Empty;

    /// <summary>
    /// Every default of the engine: <c>hocon/reference.conf</c>, embedded in this assembly (unresolved).
    /// The file is parsed once; each call gives a config of its own, since resolving one reads the
    /// environment (<c>${?ACTORS_HOST}</c>) as it is then, and keeps what it read.
    /// </summary>
    public static Config Reference() => new(s_reference.Value);

    private static HoconObject LoadReference()
    {
        using var stream = typeof(ConfigFactory).Assembly.GetManifestResourceStream("reference.conf")
            ?? throw new InvalidOperationException("The embedded reference.conf is missing from the Actors assembly.");
        using var reader = new StreamReader(stream);
        return HoconParser.ParseDocument(reader.ReadToEnd(), ParseContext.ForText("reference.conf"));
    }

    /// <summary>
    /// Parses HOCON text; <paramref name="originName"/> names it in error messages. Relative includes
    /// are found from the current directory, since the text has no file to be relative to.
    /// </summary>
    public static Config ParseString(string text, string originName = "<string>")
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Config(HoconParser.ParseDocument(text, ParseContext.ForText(originName)));
    }

    /// <summary>
    /// Parses the HOCON file at <paramref name="path"/>, named in error messages as given. Includes are
    /// found relative to the file's directory.
    /// </summary>
    public static Config ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(SourcePosition.Of(path), $"cannot read config file: {e.Message}", e);
        }

        return new Config(HoconParser.ParseDocument(text, ParseContext.ForFile(path, HoconPath.Empty, [])));
    }

    /// <summary>
    /// The overrides set by environment variables, by the reference implementation's convention:
    /// <c>CONFIG_FORCE_a_b__c___d=value</c> sets path <c>a.b-c_d</c> (a single <c>_</c> is a dot,
    /// <c>__</c> a hyphen, <c>___</c> an underscore). Values are parsed as HOCON values, so
    /// <c>[1, 2]</c> is an array and a string with a comma must be quoted.
    /// </summary>
    public static Config FromEnvironment()
    {
        var overrides = Environment.GetEnvironmentVariables()
            .Cast<DictionaryEntry>()
            .Select(e => ((string)e.Key, e.Value as string ?? ""))
            .Where(e => e.Item1.StartsWith(ForcePrefix, StringComparison.Ordinal))
            .OrderBy(e => e.Item1, StringComparer.Ordinal);
        var fields = new OrderedDictionary<string, HoconValue>();
        foreach (var (name, text) in overrides)
        {
            var origin = $"env var {name}";
            var path = PathOfOverride(name, origin);
            var value = HoconParser.ParseValue(text, path, ParseContext.ForText(origin));
            HoconMerge.AddField(fields, path, value, SourcePosition.Of(origin));
        }

        return new Config(new HoconObject(fields, SourcePosition.Of("environment")));
    }

    /// <summary>
    /// Settings given as <c>path=value</c> strings, e.g. from <c>--set</c> options; values are HOCON
    /// (an empty one is the empty string) and <c>path+=value</c> appends to an array. Later
    /// assignments win. Positions in errors give the assignment's number as the line.
    /// </summary>
    public static Config FromAssignments(IEnumerable<string> assignments, string originName = "<command line>")
    {
        ArgumentNullException.ThrowIfNull(assignments);
        var fields = new OrderedDictionary<string, HoconValue>();
        var line = 0;
        foreach (var assignment in assignments)
        {
            line++;
            try
            {
                HoconParser.ParseAssignment(assignment, ParseContext.ForText(originName, line), fields);
            }
            catch (ConfigException e)
            {
                var position = e.Position ?? new SourcePosition(originName, line, 1);
                throw new ConfigException(position, $"invalid assignment '{assignment}': {e.Detail}", e);
            }
        }

        return new Config(new HoconObject(fields, new SourcePosition(originName, 1, 1)));
    }

    // CONFIG_FORCE_a_b__c___d -> [a, b-c_d]. Runs of more than three underscores mean nothing.
    private static HoconPath PathOfOverride(string name, string origin)
    {
        var path = new StringBuilder();
        var underscores = 0;
        foreach (var c in name.AsSpan(ForcePrefix.Length))
        {
            if (c == '_')
            {
                underscores++;
                continue;
            }

            Flush();
            path.Append(c);
        }

        Flush();
        var segments = path.ToString().Split('.');
        if (segments.Any(s => s.Length == 0))
        {
            throw new ConfigException(SourcePosition.Of(origin), $"maps to path '{path}', which has an empty element");
        }

        return HoconPath.Of(segments);

        void Flush()
        {
            if (underscores > 3)
            {
                throw new ConfigException(SourcePosition.Of(origin), $"{underscores} underscores in a row have no meaning (use _ for '.', __ for '-', ___ for '_')");
            }

            path.Append(underscores switch
            {
                1 => ".",
                2 => "-",
                3 => "_",
                _ => "",
            });
            underscores = 0;
        }
    }
}
