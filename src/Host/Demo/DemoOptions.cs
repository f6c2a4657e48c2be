using System.Globalization;
using Host.Cli;
using Nodes.Drivers;

namespace Host.Demo;

/// <summary>The options of <c>demo</c>: how big, how many connections, how long, and the seed that replays a run.</summary>
public sealed record DemoOptions
{
    /// <summary>The scratch image's size in bytes (a multiple of 4 KiB).</summary>
    public long Size { get; init; } = 64L << 20;

    /// <summary>NBD connections driving I/O at once (per export in the cluster demo).</summary>
    public int Connections { get; init; } = 4;

    /// <summary>Requests each connection keeps in flight.</summary>
    public int Depth { get; init; } = 8;

    /// <summary>IoThreads each host runs; an export's node moves from the first to the last and back.</summary>
    public int IoThreads { get; init; } = 2;

    /// <summary>How long the I/O runs, unless <see cref="Requests"/> is given.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A fixed number of I/O requests instead of a duration.</summary>
    public long? Requests { get; init; }

    /// <summary>Seeds the request mix and the data written; the same seed replays the same choices.</summary>
    public long Seed { get; init; }

    /// <summary>Host processes of the cluster demo (at least 3); null runs the single-host demo in this process.</summary>
    public int? Hosts { get; init; }

    /// <summary>The cluster demo's PostgreSQL (an Npgsql connection string); null takes ACTORS_POSTGRES, then ACTORS_TEST_POSTGRES.</summary>
    public string? Postgres { get; init; }

    /// <summary>Keep the temporary data dir (journal, image) instead of deleting it.</summary>
    public bool Keep { get; init; }

    public bool ShowHelp { get; init; }

    public const string Usage = """
        Usage: dotnet run --project src/Host -- demo [options]
          --size SIZE        the scratch image's size, a multiple of 4k (default 64M)
          --connections N    NBD connections driving I/O, per export (default 4)
          --depth N          requests in flight per connection (default 8)
          --iothreads N      IoThreads of each host, at least 2 (default 2)
          --seconds S        how long the I/O runs (default 10)
          --requests N       run N I/O requests instead of a duration
          --seed N           replay a run: the same request mix and data (default: random, printed)
          --hosts N          the cluster demo: N host processes on loopback (at least 3), I/O on
                             h2 and h3, the Coordinator's host killed mid-run (needs PostgreSQL)
          --postgres CONN    the cluster demo's PostgreSQL, an Npgsql connection string (default:
                             $ACTORS_POSTGRES, else $ACTORS_TEST_POSTGRES, which
                             `source tests/services/postgres.sh` sets after starting a local one)
          --keep             keep the temporary data dir (journal, image) and print where it is
                             (shows a known NBD server race: such a request may fail with ESHUTDOWN);
                             with --hosts also the hosts' dirs and the journal's schema
          --help             show this text
        """;

    /// <summary>Parses the arguments after <c>demo</c>; a bad one throws <see cref="ArgumentException"/> with a one-line message naming it.</summary>
    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DemoOptions { Seed = Random.Shared.NextInt64(1, 1L << 40) };
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => ++i < args.Count ? args[i] : throw new ArgumentException($"option '{arg}' needs a value");
            options = arg switch
            {
                "--size" => options with { Size = SizeParser.Parse(Value(), arg) },
                "--connections" => options with { Connections = OptionValues.Positive(Value(), arg) },
                "--depth" => options with { Depth = OptionValues.Positive(Value(), arg) },
                "--iothreads" => options with { IoThreads = OptionValues.Positive(Value(), arg) },
                "--seconds" => options with { Duration = Seconds(Value(), arg) },
                "--requests" => options with { Requests = OptionValues.Positive(Value(), arg) },
                "--seed" => options with { Seed = long.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : throw new ArgumentException($"--seed: expected an integer, got '{args[i]}'") },
                "--hosts" => options with { Hosts = OptionValues.Positive(Value(), arg) },
                "--postgres" => options with { Postgres = Value() },
                "--keep" => options with { Keep = true },
                "-h" or "--help" => options with { ShowHelp = true },
                _ => throw new ArgumentException($"unknown option '{arg}' (see demo --help)"),
            };
        }
        return options.Validated();
    }

    private DemoOptions Validated()
    {
        if (Size <= 0 || Size % BlockPattern.BlockSize != 0)
        {
            throw new ArgumentException($"--size: the image size must be a positive multiple of 4k, not {Size} bytes");
        }
        if (IoThreads < 2)
        {
            throw new ArgumentException("--iothreads: the demo moves nodes between IoThreads and needs at least 2");
        }
        // Every request in flight holds a block of its own, and each should find one quickly.
        if ((long)Connections * Depth * 4 > Size / BlockPattern.BlockSize)
        {
            throw new ArgumentException($"--size: {Size} bytes are too few blocks for {Connections} connections x {Depth} requests in flight (want 4 blocks per request)");
        }
        if (Hosts is { } hosts && hosts is < 3 or > 9)
        {
            throw new ArgumentException($"--hosts: the cluster demo runs 3 to 9 hosts (h1 is killed and the rest must stay a majority), not {hosts}");
        }
        if (Hosts is null && Postgres is not null)
        {
            throw new ArgumentException("--postgres: only the cluster demo (--hosts) uses PostgreSQL");
        }
        if (Hosts is not null && Requests is not null)
        {
            throw new ArgumentException("--requests: the cluster demo runs for --seconds (its I/O goes on until the failover and every graph change are done)");
        }
        return this;
    }

    private static TimeSpan Seconds(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 86400
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{option}: expected a number of seconds between 0 and 86400, got '{text}'");
}
