using System.Collections.Immutable;

namespace Host.Daemon;

/// <summary>A socket to listen on: <c>unix</c> with a path, or <c>inet</c> with a host and port.</summary>
public sealed record SocketAddress(string Type, string HostOrPath, int? Port)
{
    public static SocketAddress Parse(ImmutableSortedDictionary<string, string> properties, string prefix, string option)
    {
        var type = properties.GetValueOrDefault(prefix + "type") ?? throw new ArgumentException($"{option}: Parameter '{prefix}type' is missing");
        return type switch
        {
            "unix" => new SocketAddress("unix", properties.GetValueOrDefault(prefix + "path") ?? throw new ArgumentException($"{option}: Parameter '{prefix}path' is missing"), null),
            "inet" => new SocketAddress(
                "inet",
                properties.GetValueOrDefault(prefix + "host", "127.0.0.1"),
                int.TryParse(properties.GetValueOrDefault(prefix + "port"), out var port) && port is >= 0 and <= 65535
                    ? port
                    : throw new ArgumentException($"{option}: Parameter '{prefix}port' expects a port number")),
            _ => throw new ArgumentException($"{option}: Parameter '{prefix}type' expects 'unix' or 'inet', got '{type}'"),
        };
    }

    /// <summary>The endpoint to listen on.</summary>
    public System.Net.EndPoint ToEndPoint() => Type == "unix"
        ? new System.Net.Sockets.UnixDomainSocketEndPoint(HostOrPath)
        : new System.Net.IPEndPoint(System.Net.IPAddress.Parse(HostOrPath == "localhost" ? "127.0.0.1" : HostOrPath), Port ?? 0);

    public override string ToString() => Type == "unix" ? $"unix:{HostOrPath}" : $"{HostOrPath}:{Port}";
}
