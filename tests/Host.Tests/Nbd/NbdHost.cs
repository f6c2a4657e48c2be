using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Actors.GraphLock;
using Host.Nbd;
using Host.Tests.Hosting;
using Nodes.Commands;

namespace Host.Tests.Nbd;

/// <summary>What an <see cref="NbdHost"/>'s server is started with: null takes the server's defaults.</summary>
public sealed record NbdServerSettings(Nodes.Tls.TlsCredsX509? TlsCreds = null, NbdHandshakeLimit? HandshakeLimit = null, Microsoft.Extensions.Logging.ILogger? Logger = null);

/// <summary>A storage host with an NBD server on a Unix socket in its data dir (or on loopback TCP).</summary>
public sealed class NbdHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private NbdHost(HostFixture fixture, NbdServer server)
    {
        Fixture = fixture;
        Server = server;
    }

    public HostFixture Fixture { get; }

    public NbdServer Server { get; }

    public string SocketPath => Server.LocalEndPoint is UnixDomainSocketEndPoint unix ? unix.ToString() : throw new InvalidOperationException("not on a Unix socket");

    public static Task<NbdHost> StartAsync(bool tcp = false, params string[] ioThreads) => StartAsync(tlsCreds: null, tcp, ioThreads);

    /// <summary>As <see cref="StartAsync(bool, string[])"/>; with <paramref name="tlsCreds"/> (a server endpoint's) clients must start TLS.</summary>
    public static Task<NbdHost> StartAsync(Nodes.Tls.TlsCredsX509? tlsCreds, bool tcp = false, params string[] ioThreads) =>
        StartAsync(new NbdServerSettings(tlsCreds), tcp, ioThreads);

    /// <summary>As <see cref="StartAsync(bool, string[])"/>, with the server's settings given.</summary>
    public static async Task<NbdHost> StartAsync(NbdServerSettings settings, bool tcp = false, params string[] ioThreads)
    {
        var fixture = await HostFixture.StartAsync(ioThreads);
        var server = new NbdServer(fixture.Host.Runtime, settings.Logger, settings.TlsCreds, settings.HandshakeLimit);
        await server.StartAsync(tcp ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(Path.Combine(fixture.DataDir, "nbd.sock")));
        return new NbdHost(fixture, server);
    }

    /// <summary>The TCP port the server listens on (started with tcp).</summary>
    public int Port => Server.LocalEndPoint is IPEndPoint ip ? ip.Port : throw new InvalidOperationException("not on TCP");

    /// <summary>The NBD URI of export <paramref name="name"/> on this server's Unix socket.</summary>
    public string Uri(string name) => $"nbd+unix:///{name}?socket={SocketPath}";

    /// <summary>Path of an image in the host's images dir.</summary>
    public string ImagePath(string file) => Path.Combine(Fixture.ImagesDir, file);

    /// <summary>Creates an image, opens a file node on it and exports the node as <paramref name="name"/>.</summary>
    public async Task AddFileExportAsync(string name, long size, bool writable = true)
    {
        Fixture.Host.Disk.Create($"{name}.img", size);
        await AddNodeAsync($"{name}-file", "file", ("filename", $"{name}.img"));
        await AddExportAsync(name, $"{name}-file", writable);
    }

    public Task AddNodeAsync(string node, string driver, params (string Key, string Value)[] options) =>
        AddNodeAsync(node, driver, options, []);

    /// <summary>Adds a node on io0 with <paramref name="children"/> (role, node-name), as blockdev-add does.</summary>
    public async Task AddNodeAsync(string node, string driver, (string Key, string Value)[] options, (string Role, string Child)[] children)
    {
        var settings = options.Aggregate(ImmutableSortedDictionary<string, string>.Empty, (all, o) => all.Add(o.Key, o.Value));
        var roles = children.Aggregate(ImmutableSortedDictionary<string, string>.Empty, (all, c) => all.Add(c.Role, c.Child));
        await Fixture.Host.Graph.Ask<WriteCompleted>(new AddNode(node, driver, settings, Fixture.Host.Runtime.Host, "io0", roles), Timeout);
    }

    /// <summary>Exports <paramref name="node"/> as <paramref name="name"/>.</summary>
    public Task AddExportAsync(string name, string node, bool writable = false) =>
        Fixture.Host.Graph.Ask<WriteCompleted>(new AddExport($"{name}-export", node, name, writable), Timeout);

    /// <summary>
    /// Whether the server's connection count falls to zero (within <see cref="Timeout"/>) once the
    /// clients have gone: a connection the server kept (a handshake or reader loop that missed its
    /// client's end) would stay.
    /// </summary>
    public async Task<bool> AllConnectionsEndAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (Server.ConnectionCount > 0 && !timeout.IsCancellationRequested)
        {
            // The server says nothing when a connection ends; its count is all there is to look at.
            await Task.Delay(10, CancellationToken.None);
        }
        return Server.ConnectionCount == 0;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        await Fixture.DisposeAsync();
    }
}
