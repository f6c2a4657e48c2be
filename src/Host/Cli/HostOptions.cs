using Host.Cluster;
using Host.Daemon;

namespace Host.Cli;

/// <summary>The host's command line, parsed and validated.</summary>
public sealed record HostOptions
{
    /// <summary>HOCON files given with <c>--config</c>, in order; later ones win.</summary>
    public IReadOnlyList<string> ConfigFiles { get; init; } = [];

    /// <summary><c>path=value</c> overrides given with <c>--set</c>; they win over every file and the environment.</summary>
    public IReadOnlyList<string> Assignments { get; init; } = [];

    /// <summary><c>--data-dir</c>: overrides <c>host.data-dir</c>.</summary>
    public string? DataDir { get; init; }

    /// <summary><c>--cluster-port</c>: overrides <c>actors.cluster.port</c> (the host's remoting port; it makes the host a cluster member).</summary>
    public int? ClusterPort { get; init; }

    /// <summary><c>--join HOST:PORT</c>, in order: override <c>actors.cluster.join</c> (the seed nodes).</summary>
    public IReadOnlyList<SeedNode> Join { get; init; } = [];

    /// <summary>The qemu-storage-daemon options, in the order given.</summary>
    public DaemonOptions Daemon { get; init; } = new();

    /// <summary>Print the resolved configuration and exit.</summary>
    public bool PrintConfigOnly { get; init; }

    public bool ShowHelp { get; init; }

    public const string Usage = """
        Usage: dotnet run --project src/Host -- [options]
          --config FILE      read HOCON settings from FILE (repeatable; later files win)
          --data-dir DIR     the host's data dir (the graph's journal), default host.data-dir
          --cluster-port PORT  be a cluster member, remoting on PORT (actors.cluster.port)
          --join HOST:PORT   join the cluster of the host at HOST:PORT (repeatable; actors.cluster.join)
          qemu-storage-daemon options, same syntax:
          --blockdev driver=file,node-name=file0,filename=IMG   (or a JSON object)
          --object iothread,id=io0
          --object tls-creds-x509,id=tls0,dir=DIR,endpoint=server|client[,verify-peer=on|off]
          --nbd-server addr.type=unix,addr.path=SOCK | addr.type=inet,addr.host=H,addr.port=P [,tls-creds=tls0]
                       [,handshake-max-seconds=N]  close clients that have not chosen an export
                       after N seconds (default 10; 0: no limit)
          --export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on[,iothread=io0]
          --chardev socket,id=mon0,path=QMP.SOCK,server=on,wait=off   --monitor chardev=mon0
          --set PATH=VALUE   override one setting, e.g. --set actors.host=h1 (repeatable);
                             --set host.images-dir=DIR confines image filenames to DIR
                             (unset: absolute or relative to the working directory, as qsd)
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
        string? dataDir = null;
        int? clusterPort = null;
        var join = new List<SeedNode>();
        var daemon = new DaemonOptions();
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
                case "--data-dir":
                    dataDir = ValueOf(args, ref i, arg);
                    break;
                case "--cluster-port":
                    var port = ValueOf(args, ref i, arg);
                    clusterPort = int.TryParse(port, out var number) && number is > 0 and <= 65535
                        ? number
                        : throw new ArgumentException($"--cluster-port {port}: expected a port (1-65535)");
                    break;
                case "--join":
                    join.Add(SeedNode.Parse(ValueOf(args, ref i, arg), arg));
                    break;
                case "--blockdev" or "--object" or "--nbd-server" or "--export" or "--chardev" or "--monitor":
                    daemon = daemon.With(arg, ValueOf(args, ref i, arg));
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
        return new HostOptions
        {
            ConfigFiles = files,
            Assignments = assignments,
            PrintConfigOnly = printOnly,
            ShowHelp = help,
            DataDir = dataDir,
            ClusterPort = clusterPort,
            Join = join,
            Daemon = daemon.Validate(),
        };
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i, string option) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{option}: missing value");
}
