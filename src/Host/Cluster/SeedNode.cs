using System.Globalization;
using Host.Hosting;

namespace Host.Cluster;

/// <summary>
/// A cluster member to join, given as <c>HOST:PORT</c> (<c>--join</c>, <c>actors.cluster.join</c>):
/// its Akka address is <c>akka.tcp://actors@HOST:PORT</c> (<c>akka.ssl.tcp://</c> when remoting
/// uses TLS), the actor system having that name on every host.
/// </summary>
public sealed record SeedNode(string Host, int Port)
{
    /// <summary>The seed's address as <c>akka.cluster.seed-nodes</c> takes it, over TLS or not.</summary>
    public string Address(bool tls) => $"{Protocol(tls)}://{StorageHost.SystemName}@{Host}:{Port}";

    /// <summary><c>HOST:PORT</c>, as given.</summary>
    public override string ToString() => $"{Host}:{Port}";

    /// <summary>
    /// Parses <c>HOST:PORT</c> (a name, an IPv4 address or a bracketed IPv6 one; a port from 1 to
    /// 65535); throws <see cref="ArgumentException"/> with one line naming <paramref name="source"/>.
    /// </summary>
    public static SeedNode Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon > 0
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535
            && IsHost(text[..colon]))
        {
            return new SeedNode(text[..colon], port);
        }
        throw new ArgumentException($"{source} {text}: expected HOST:PORT");
    }

    /// <summary>
    /// Checks an entry of <c>akka.cluster.seed-nodes</c>: an Akka address of a system named
    /// <c>actors</c> with a host and a port, over the protocol remoting uses (<c>akka.ssl.tcp</c>
    /// with TLS); Akka would otherwise try to join it forever, or never. Throws
    /// <see cref="ArgumentException"/> with one line naming <paramref name="source"/>.
    /// </summary>
    public static void CheckAddress(string address, string source, bool tls)
    {
        if (!Akka.Actor.Address.TryParse(address, out var parsed)
            || parsed.Protocol != Protocol(tls) || parsed.System != StorageHost.SystemName || parsed.Host is null || parsed.Port is not > 0)
        {
            throw new ArgumentException($"{source} {address}: expected {Protocol(tls)}://{StorageHost.SystemName}@HOST:PORT");
        }
    }

    /// <summary>Akka's protocol for remoting over DotNetty's TCP transport, with TLS or without.</summary>
    private static string Protocol(bool tls) => tls ? "akka.ssl.tcp" : "akka.tcp";

    private static bool IsHost(string host) =>
        host.StartsWith('[') && host.EndsWith(']')
            ? Uri.CheckHostName(host[1..^1]) == UriHostNameType.IPv6
            : Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
}
