using System.Text.Encodings.Web;
using System.Text.Json;
using Actors.Config;
using HoconConfig = Actors.Config.Config;

namespace Host.Cluster;

/// <summary>
/// Maps the host's membership keys (<c>actors.cluster</c>, documented in reference.conf) onto
/// Akka's own, so that what Akka gets (and <c>--print-config</c> shows) is Akka's configuration:
/// <c>akka.actor.provider = cluster</c>, <c>akka.remote.dot-netty.tcp.hostname</c>,
/// <c>public-hostname</c>, <c>port</c>, <c>enable-ssl</c> and <c>akka.cluster.seed-nodes</c>. An
/// Akka key given explicitly wins over the one mapped here. A host with no cluster setting is
/// left alone: its actor system stays local and nothing listens for other hosts.
/// </summary>
public static class ClusterConfig
{
    /// <summary>Akka's remoting port when nothing sets one (Akka.Remote's own default).</summary>
    public const int AkkaDefaultPort = 2552;

    private const string Provider = "akka.actor.provider";
    private const string Tcp = "akka.remote.dot-netty.tcp";
    private const string SeedNodes = "akka.cluster.seed-nodes";

    private static readonly JsonSerializerOptions s_hocon = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// True when <paramref name="config"/> makes the host a cluster member: a cluster port, a seed
    /// node (<c>actors.cluster.join</c> or <c>akka.cluster.seed-nodes</c>), or
    /// <c>akka.actor.provider = cluster</c>.
    /// </summary>
    public static bool IsMember(HoconConfig config) =>
        Port(config) > 0 || Join(config).Count > 0 || AkkaSeeds(config).Count > 0 || IsClusterProvider(config.GetString(Provider, "local"));

    /// <summary>
    /// True when remoting uses TLS: <c>akka.remote.dot-netty.tcp.enable-ssl</c> when given, else
    /// whether <c>actors.cluster.tls.certificate</c> names a certificate. Addresses then start with
    /// <c>akka.ssl.tcp://</c>.
    /// </summary>
    public static bool UsesTls(HoconConfig config) =>
        config.HasPath($"{Tcp}.enable-ssl") ? config.GetBoolean($"{Tcp}.enable-ssl") : config.GetString("actors.cluster.tls.certificate", "").Length > 0;

    /// <summary>
    /// <paramref name="config"/> (resolved) with the Akka keys its <c>actors.cluster</c> settings
    /// imply, where not given explicitly. Throws <see cref="ArgumentException"/> with one line naming
    /// the setting for a malformed seed node or port.
    /// </summary>
    public static HoconConfig Apply(HoconConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsMember(config))
        {
            return config;
        }
        var cluster = config.GetConfig("actors.cluster");
        var mapped = new List<string>();
        void Map(string path, object value) => mapped.Add($"{path} = {JsonSerializer.Serialize(value, s_hocon)}");

        if (!config.HasPath(Provider))
        {
            Map(Provider, "cluster");
        }
        var hostname = config.GetString($"{Tcp}.hostname", "");
        if (hostname.Length == 0)
        {
            hostname = cluster.GetString("hostname");
            Map($"{Tcp}.hostname", hostname);
        }
        var publicHostname = config.GetString($"{Tcp}.public-hostname", "");
        if (publicHostname.Length == 0 && cluster.GetString("public-hostname") is { Length: > 0 } given)
        {
            publicHostname = given;
            Map($"{Tcp}.public-hostname", publicHostname);
        }
        var port = config.HasPath($"{Tcp}.port") ? config.GetInt($"{Tcp}.port") : Port(config) is > 0 and var p ? p : AkkaDefaultPort;
        if (!config.HasPath($"{Tcp}.port"))
        {
            Map($"{Tcp}.port", port);
        }
        if (!config.HasPath($"{Tcp}.maximum-frame-size"))
        {
            Map($"{Tcp}.maximum-frame-size", $"{MaximumMessageSize(config)}b");
        }
        var tls = UsesTls(config);
        if (tls && !config.HasPath($"{Tcp}.enable-ssl"))
        {
            Map($"{Tcp}.enable-ssl", true);
        }
        if (AkkaSeeds(config).Count == 0)
        {
            var join = Join(config);
            Map(SeedNodes, join.Count > 0
                ? join.Select(s => s.Address(tls)).ToArray()
                : [Self(config, publicHostname.Length > 0 ? publicHostname : hostname, port).Address(tls)]);
        }
        return ConfigFactory.FromAssignments(mapped, "actors.cluster").WithFallback(config).Resolve();
    }

    /// <summary>
    /// The one line a host that cannot start its remoting shows, naming the setting and the
    /// address (<c>actors.cluster.port: cannot listen on 127.0.0.1:2551: Address already in use</c>);
    /// null when <paramref name="failure"/> is not such a failure.
    /// </summary>
    public static string? DescribeBindFailure(HoconConfig config, Exception failure)
    {
        var bind = Causes(failure).OfType<Akka.Remote.RemoteTransportException>().FirstOrDefault();
        if (bind is null)
        {
            return null;
        }
        var socket = Causes(bind).OfType<System.Net.Sockets.SocketException>().FirstOrDefault();
        var setting = socket?.SocketErrorCode == System.Net.Sockets.SocketError.AddressNotAvailable
            ? Origin(config, "hostname", config.GetString($"{Tcp}.hostname", ""))
            : Origin(config, "port", config.GetString($"{Tcp}.port", ""));
        var address = $"{config.GetString($"{Tcp}.hostname", "")}:{config.GetString($"{Tcp}.port", "")}";
        return $"{setting}: cannot listen on {address}: {socket?.Message ?? bind.Message}";
    }

    /// <summary>Which key set a remoting value: ours (<c>actors.cluster.port</c>) when it gave that value, else Akka's.</summary>
    private static string Origin(HoconConfig config, string key, string value) =>
        config.GetString($"actors.cluster.{key}", "") == value ? $"actors.cluster.{key}" : $"{Tcp}.{key}";

    private static IEnumerable<Exception> Causes(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e is AggregateException a && a.InnerExceptions.Count == 1 ? a.InnerExceptions[0] : e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>
    /// The member's own address, its only seed when it has no other: it joins itself and forms a
    /// one-member cluster that others join.
    /// </summary>
    private static SeedNode Self(HoconConfig config, string host, int port)
    {
        var publicPort = config.GetInt($"{Tcp}.public-port", 0);
        if (publicPort == 0 && port == 0)
        {
            throw new ArgumentException($"{Tcp}.port 0: a cluster member without seed nodes joins itself and needs a fixed port (set actors.cluster.port or give --join)");
        }
        return new SeedNode(host, publicPort > 0 ? publicPort : port);
    }

    private static int Port(HoconConfig config)
    {
        var port = config.GetInt("actors.cluster.port", 0);
        return port is >= 0 and <= 65535 ? port : throw new ArgumentException($"actors.cluster.port {port}: expected a port (1-65535), or 0 for none");
    }

    private static long MaximumMessageSize(HoconConfig config)
    {
        const string key = "actors.cluster.maximum-message-size";
        var size = config.GetBytes(key);
        // Akka's own floor, and the frame length field's ceiling.
        return size is >= 32000 and <= int.MaxValue ? size : throw new ArgumentException($"{key} {size}: expected 32000 bytes to 2 GiB");
    }

    /// <summary>
    /// <c>actors.cluster.join</c>: a list of <c>HOST:PORT</c>, or one string of them separated by
    /// commas (the form <c>ACTORS_JOIN</c> gives, an environment variable being a string).
    /// </summary>
    private static IReadOnlyList<SeedNode> Join(HoconConfig config)
    {
        const string key = "actors.cluster.join";
        if (!config.HasPath(key))
        {
            return [];
        }
        IEnumerable<string> entries;
        try
        {
            entries = config.GetStringList(key);
        }
        catch (ConfigException)
        {
            entries = config.GetString(key).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        return [.. entries.Select(e => SeedNode.Parse(e, key))];
    }

    private static IReadOnlyList<string> AkkaSeeds(HoconConfig config)
    {
        var seeds = config.HasPath(SeedNodes) ? config.GetStringList(SeedNodes) : [];
        foreach (var seed in seeds)
        {
            SeedNode.CheckAddress(seed, SeedNodes, UsesTls(config));
        }
        return seeds;
    }

    private static bool IsClusterProvider(string provider) =>
        provider == "cluster" || provider.StartsWith("Akka.Cluster.ClusterActorRefProvider", StringComparison.Ordinal);
}
