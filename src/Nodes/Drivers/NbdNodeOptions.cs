using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Nodes.Tls;

namespace Nodes.Drivers;

/// <summary>
/// The options of an <c>nbd</c> node, as QEMU's <c>BlockdevOptionsNbd</c> takes them, validated
/// with QEMU's own messages (<c>Parameter 'server.path' is missing</c>).
/// </summary>
/// <param name="Server">Where the server listens: a Unix socket path, or an IP address or host name with a port.</param>
/// <param name="Address">The server as QEMU's messages show it: the path, or <c>host:port</c>.</param>
/// <param name="Export">The export's name (<c>export</c>; QEMU's default is the empty name).</param>
/// <param name="ReconnectDelay">How long requests wait for a lost connection to come back before they fail (<c>reconnect-delay</c>, in seconds).</param>
/// <param name="OpenTimeout">How long opening keeps trying to connect (<c>open-timeout</c>, in seconds; 0: one try).</param>
/// <param name="ReadOnly">The node takes no writes (<c>read-only</c>).</param>
/// <param name="AutoReadOnly">A read-only export makes a read-only node rather than a failed open (<c>auto-read-only</c>).</param>
/// <param name="Tls">
/// With <c>tls-creds</c>, how the connection starts TLS before anything else: the client
/// credentials it names, and the name the server's certificate must carry (<c>tls-hostname</c>,
/// by default <c>server.host</c>); null for plain NBD.
/// </param>
public sealed record NbdNodeOptions(EndPoint Server, string Address, string Export, TimeSpan ReconnectDelay, TimeSpan OpenTimeout, bool ReadOnly, bool AutoReadOnly, SslClientAuthenticationOptions? Tls = null)
{
    /// <summary>The keys QEMU's nbd driver takes besides <c>server.*</c>, with the generic blockdev options.</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "export", "tls-creds", "tls-hostname", "x-dirty-bitmap", "reconnect-delay", "open-timeout",
        "read-only", "auto-read-only", "force-share", "discard", "cache.direct", "cache.no-flush", "detect-zeroes",
    };

    /// <summary>QEMU's options this driver does not offer yet.</summary>
    private static readonly string[] Unsupported = ["x-dirty-bitmap"];

    /// <summary>
    /// Reads and checks the options, finding <c>tls-creds</c> in <paramref name="tlsCreds"/>;
    /// throws <see cref="ArgumentException"/> in QEMU's words (<c>No TLS credentials with id 'tls0'</c>).
    /// </summary>
    public static NbdNodeOptions Parse(NodeSettings settings, TlsCredsRegistry tlsCreds)
    {
        ArgumentNullException.ThrowIfNull(tlsCreds);
        var options = settings.Options;
        if (options.Keys.FirstOrDefault(k => !k.StartsWith("server.", StringComparison.Ordinal) && !Known.Contains(k)) is { } unexpected)
        {
            throw new ArgumentException($"Parameter '{unexpected}' is unexpected");
        }
        if (Unsupported.FirstOrDefault(options.ContainsKey) is { } key)
        {
            throw new ArgumentException($"Node '{settings.Name}': option '{key}' is not supported yet: the nbd driver reads no dirty bitmaps");
        }
        var (server, address) = ParseServer(settings);
        // QEMU checks the server's certificate against server.host unless tls-hostname says otherwise; a Unix socket has no host.
        var hostname = options.GetValueOrDefault("tls-hostname") ?? (server is UnixDomainSocketEndPoint ? null : options["server.host"]);
        var tls = options.GetValueOrDefault("tls-creds") is { } id ? tlsCreds.Get(id, TlsEndpoint.Client).ClientOptions(hostname) : null;
        return new NbdNodeOptions(
            server,
            address,
            settings.Get("export", ""),
            Seconds(settings, "reconnect-delay"),
            Seconds(settings, "open-timeout"),
            settings.GetBool("read-only", false),
            settings.GetBool("auto-read-only", false),
            tls);
    }

    /// <summary>QEMU's <c>SocketAddress</c> of the types a block device can use: <c>unix</c> (path) and <c>inet</c> (host, port).</summary>
    private static (EndPoint Server, string Address) ParseServer(NodeSettings settings)
    {
        var options = settings.Options;
        if (!options.Keys.Any(k => k.StartsWith("server.", StringComparison.Ordinal)))
        {
            throw new ArgumentException("Parameter 'server' is missing");
        }
        var type = options.GetValueOrDefault("server.type") ?? throw new ArgumentException("Parameter 'server.type' is missing");
        string[] keys = type switch
        {
            "unix" => ["server.type", "server.path"],
            "inet" => ["server.type", "server.host", "server.port"],
            "vsock" or "fd" => throw new ArgumentException($"Node '{settings.Name}': server.type '{type}' is not supported (unix and inet are)"),
            // QEMU names the union's discriminator without its prefix here.
            _ => throw new ArgumentException($"Parameter 'type' does not accept value '{type}'"),
        };
        if (options.Keys.FirstOrDefault(k => k.StartsWith("server.", StringComparison.Ordinal) && !keys.Contains(k)) is { } unexpected)
        {
            throw new ArgumentException($"Parameter '{unexpected}' is unexpected");
        }
        var missing = keys.FirstOrDefault(k => !options.ContainsKey(k));
        if (missing is not null)
        {
            throw new ArgumentException($"Parameter '{missing}' is missing");
        }
        if (type == "unix")
        {
            var path = options["server.path"];
            return (new UnixDomainSocketEndPoint(path), path);
        }
        var host = options["server.host"];
        var portText = options["server.port"];
        var address = $"{host}:{portText}";
        // QEMU's port is a string it resolves as a service; a number is what a block device gets in practice.
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"address resolution failed for {address}: Servname not supported for ai_socktype");
        }
        return (IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port), address);
    }

    private static TimeSpan Seconds(NodeSettings settings, string key)
    {
        if (!settings.Options.TryGetValue(key, out var text))
        {
            return TimeSpan.Zero;
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new ArgumentException($"Parameter '{key}' expects integer");
        }
        return seconds is >= 0 and <= uint.MaxValue
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"Parameter '{key}' expects uint32_t");
    }
}
