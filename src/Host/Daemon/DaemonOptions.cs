using System.Collections.Immutable;
using Host.Nbd;

namespace Host.Daemon;

/// <summary>
/// The qemu-storage-daemon options the host accepts, with the same syntax (key=value lists, and
/// JSON for <c>--blockdev</c>), in the order given: that is the order they are carried out in.
/// </summary>
public sealed record DaemonOptions
{
    public ImmutableArray<BlockdevOption> Blockdevs { get; init; } = [];

    /// <summary><c>--object iothread,id=io0</c>: the IoThreads to start, by id.</summary>
    public ImmutableArray<string> IoThreads { get; init; } = [];

    /// <summary><c>--object tls-creds-x509,id=tls0,...</c>: TLS credentials, loaded before anything uses them.</summary>
    public ImmutableArray<TlsCredsOption> TlsCreds { get; init; } = [];

    /// <summary><c>--nbd-server addr.type=unix,addr.path=SOCK</c> or <c>addr.type=inet,addr.host=H,addr.port=P</c>.</summary>
    public SocketAddress? NbdServer { get; init; }

    /// <summary><c>--nbd-server ...,tls-creds=ID</c>: the server credentials clients must start TLS with.</summary>
    public string? NbdServerTlsCreds { get; init; }

    /// <summary><c>--nbd-server ...,handshake-max-seconds=N</c>: how long a client may take to choose an export.</summary>
    public NbdHandshakeLimit NbdServerHandshakeLimit { get; init; } = NbdHandshakeLimit.Default;

    public ImmutableArray<ExportOption> Exports { get; init; } = [];

    /// <summary><c>--chardev socket,id=ID,path=P,server=on,wait=off</c> (or host=,port=), by id.</summary>
    public ImmutableDictionary<string, SocketAddress> Chardevs { get; init; } = ImmutableDictionary<string, SocketAddress>.Empty;

    /// <summary><c>--monitor chardev=ID</c>: the chardevs a QMP monitor listens on.</summary>
    public ImmutableArray<string> Monitors { get; init; } = [];

    public bool IsEmpty => Blockdevs.IsEmpty && IoThreads.IsEmpty && TlsCreds.IsEmpty && NbdServer is null && Exports.IsEmpty && Monitors.IsEmpty;

    /// <summary>Adds one daemon option; throws <see cref="ArgumentException"/> naming the option when it is malformed.</summary>
    public DaemonOptions With(string option, string value) => option switch
    {
        "--blockdev" => this with { Blockdevs = Blockdevs.Add(BlockdevOption.Parse(value)) },
        "--object" => WithObject(value),
        "--nbd-server" => NbdServer is null ? WithNbdServer(value) : throw new ArgumentException("--nbd-server: given twice"),
        "--export" => this with { Exports = Exports.Add(ExportOption.Parse(value)) },
        "--chardev" => WithChardev(value),
        "--monitor" => this with { Monitors = Monitors.Add(ParseMonitor(value)) },
        _ => throw new ArgumentException($"unknown option '{option}' (see --help)"),
    };

    /// <summary>Checks references between options: monitors name chardevs, exports need an NBD server.</summary>
    public DaemonOptions Validate()
    {
        foreach (var monitor in Monitors)
        {
            if (!Chardevs.ContainsKey(monitor))
            {
                throw new ArgumentException($"--monitor: chardev '{monitor}' not found");
            }
        }
        foreach (var export in Exports)
        {
            if (export.IoThread is { } io && !IoThreads.Contains(io))
            {
                throw new ArgumentException($"--export: iothread '{io}' not found (add --object iothread,id={io})");
            }
        }
        return this;
    }

    private DaemonOptions WithObject(string value)
    {
        var items = value.Split(',', 2);
        var properties = KeyValueList.Parse(items.Length > 1 ? items[1] : "", "--object");
        switch (items[0])
        {
            case "iothread":
                return properties.GetValueOrDefault("id") is { Length: > 0 } id
                    ? this with { IoThreads = IoThreads.Add(id) }
                    : throw new ArgumentException("--object: Parameter 'id' is missing");
            case "tls-creds-x509":
                var creds = TlsCredsOption.Parse(value, properties);
                return TlsCreds.Any(c => c.Id == creds.Id) || IoThreads.Contains(creds.Id)
                    ? throw new ArgumentException($"--object: attempt to add duplicate property '{creds.Id}' to object (type 'container')")
                    : this with { TlsCreds = TlsCreds.Add(creds) };
            default:
                throw new ArgumentException($"--object: only 'iothread' and 'tls-creds-x509' objects are supported, got '{items[0]}'");
        }
    }

    /// <summary>
    /// qemu-storage-daemon's <c>--nbd-server</c> keys: <c>addr.*</c>, <c>tls-creds</c> and
    /// <c>handshake-max-seconds</c>; its <c>tls-authz</c> and <c>max-connections</c> are refused,
    /// not ignored (a user would believe them in force).
    /// </summary>
    private DaemonOptions WithNbdServer(string value)
    {
        var properties = KeyValueList.Parse(value, "--nbd-server");
        if (properties.ContainsKey("tls-authz"))
        {
            throw new ArgumentException("--nbd-server: 'tls-authz' is not supported (verify-peer on the tls-creds-x509 object admits only clients with a certificate from its CA)");
        }
        if (properties.ContainsKey("max-connections"))
        {
            throw new ArgumentException("--nbd-server: 'max-connections' is not supported");
        }
        if (properties.Keys.FirstOrDefault(k => !k.StartsWith("addr.", StringComparison.Ordinal) && k is not ("tls-creds" or "handshake-max-seconds")) is { } unexpected)
        {
            throw new ArgumentException($"--nbd-server: Parameter '{unexpected}' is unexpected");
        }
        NbdHandshakeLimit handshakeLimit;
        try
        {
            handshakeLimit = properties.GetValueOrDefault("handshake-max-seconds") is { } seconds ? NbdHandshakeLimit.Parse(seconds) : NbdHandshakeLimit.Default;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--nbd-server: {e.Message}");
        }
        return this with
        {
            NbdServer = SocketAddress.Parse(properties, "addr.", "--nbd-server"),
            NbdServerTlsCreds = properties.GetValueOrDefault("tls-creds"),
            NbdServerHandshakeLimit = handshakeLimit,
        };
    }

    private DaemonOptions WithChardev(string value)
    {
        var items = value.Split(',', 2);
        if (items[0] != "socket")
        {
            throw new ArgumentException($"--chardev: only 'socket' chardevs are supported, got '{items[0]}'");
        }
        var properties = KeyValueList.Parse(items.Length > 1 ? items[1] : "", "--chardev");
        var id = properties.GetValueOrDefault("id") ?? throw new ArgumentException("--chardev: Parameter 'id' is missing");
        if (properties.GetValueOrDefault("server", "off") != "on")
        {
            throw new ArgumentException($"--chardev {id}: only server=on sockets are supported");
        }
        var address = properties.ContainsKey("path")
            ? new SocketAddress("unix", properties["path"], null)
            : SocketAddress.Parse(properties.Add("type", "inet"), "", $"--chardev {id}");
        return Chardevs.ContainsKey(id)
            ? throw new ArgumentException($"--chardev: duplicate id '{id}'")
            : this with { Chardevs = Chardevs.Add(id, address) };
    }

    private static string ParseMonitor(string value)
    {
        var properties = KeyValueList.Parse(value, "--monitor");
        if (properties.GetValueOrDefault("mode", "control") != "control")
        {
            throw new ArgumentException("--monitor: only mode=control (QMP) is supported");
        }
        return properties.GetValueOrDefault("chardev") ?? throw new ArgumentException("--monitor: Parameter 'chardev' is missing");
    }
}
