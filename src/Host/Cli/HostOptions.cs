namespace Host.Cli;

/// <summary>The host's command line, parsed and validated.</summary>
public sealed record HostOptions
{
    /// <summary>HOCON files given with <c>--config</c>, in order; later ones win.</summary>
    public IReadOnlyList<string> ConfigFiles { get; init; } = [];

    /// <summary><c>path=value</c> overrides given with <c>--set</c>; they win over every file and the environment.</summary>
    public IReadOnlyList<string> Assignments { get; init; } = [];

    /// <summary>Print the resolved configuration and exit.</summary>
    public bool PrintConfigOnly { get; init; }

    public bool ShowHelp { get; init; }

    public const string Usage = """
        Usage: dotnet run --project src/Host -- [options]
          --config FILE      read HOCON settings from FILE (repeatable; later files win)
          --set PATH=VALUE   override one setting, e.g. --set actors.host=h1 (repeatable)
          --print-config     print the resolved configuration and exit
          --help             show this text
        Settings are layered: --set, then CONFIG_FORCE_* environment variables, then --config
        files, then hocon/reference.conf. Every default is documented in hocon/reference.conf.
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with a one-line message naming the bad option.</summary>
    public static HostOptions Parse(IReadOnlyList<string> args)
    {
        var files = new List<string>();
        var assignments = new List<string>();
        var printOnly = false;
        var help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--config":
                    var file = ValueOf(args, ref i, arg);
                    if (!File.Exists(file))
                    {
                        throw new ArgumentException($"--config: no such file '{file}'");
                    }
                    files.Add(file);
                    break;
                case "--set":
                    var assignment = ValueOf(args, ref i, arg);
                    if (!assignment.Contains('='))
                    {
                        throw new ArgumentException($"--set: expected PATH=VALUE, got '{assignment}'");
                    }
                    assignments.Add(assignment);
                    break;
                case "--print-config":
                    printOnly = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{arg}' (see --help)");
            }
        }
        return new HostOptions { ConfigFiles = files, Assignments = assignments, PrintConfigOnly = printOnly, ShowHelp = help };
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i, string option) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{option}: missing value");
}
