using System.Text.Json.Nodes;
using Host.Tests.Cli;
using Host.Tests.Cluster;
using Host.Tests.Nbd;
using Host.Tests.Qmp;
using TestTools;

namespace Host.Tests.NbdTls;

/// <summary>
/// The <c>nbd</c> driver with <c>tls-creds</c>: NBD_OPT_STARTTLS, then the handshake and the
/// requests over TLS, to qemu-storage-daemon and to another of our hosts, each requiring TLS
/// with client certificates.
/// </summary>
public sealed class NbdTlsDriverTests(TlsPki pki) : IClassFixture<TlsPki>, IDisposable
{
    private const int MiB = 1 << 20;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("nbd-tls-driver-");

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>
    ///   this host:  export 'disk' ─→ disk (raw) ─file→ remote (nbd, tls-creds=client0)
    ///                                                    ══NBD over TLS══▶ qemu-storage-daemon: 'base' ─→ base.raw
    /// A write through our export lands in qsd's image, read back over TLS by qemu-io.
    /// </summary>
    [NbdClientFact("qemu-io", "qemu-img", "qemu-storage-daemon", "openssl")]
    public async Task An_nbd_node_reads_and_writes_over_TLS_to_qemu_storage_daemon()
    {
        var image = Path.Combine(_root.FullName, "base.raw");
        await Tool("qemu-img", "create", "-f", "raw", image, $"{4 * MiB}");
        var qsdSocket = Path.Combine(_root.FullName, "qsd.sock");
        await using var qsd = await QemuStorageDaemon.StartAsync(qsdSocket,
            ["--blockdev", $"driver=file,node-name=f0,filename={image}", "--export", "type=nbd,id=e0,node-name=f0,name=base,writable=on"],
            pki.ServerDir);
        await WriteThroughUsAndReadOverTlsAsync(new JsonObject { ["type"] = "unix", ["path"] = qsdSocket }, "base", "localhost",
            $"driver=nbd,server.type=unix,server.path={qsdSocket},export=base,tls-hostname=localhost");
    }

    /// <summary>
    ///   this host:  export 'disk' ─→ disk (raw) ─file→ remote (nbd, tls-creds=client0, server.host=127.0.0.1)
    ///                                                    ══NBD over TLS on TCP══▶ host process B (qsd's command line with tls-creds): 'disk' ─→ f0
    /// The server's certificate is checked against server.host (127.0.0.1), as QEMU's client does.
    /// </summary>
    [NbdClientFact("qemu-io", "qemu-img", "openssl")]
    public async Task An_nbd_node_reads_and_writes_over_TLS_on_TCP_to_another_host_process()
    {
        var image = Path.Combine(_root.FullName, "disk.raw");
        await Tool("qemu-img", "create", "-f", "raw", image, $"{4 * MiB}");
        var port = LoopbackPorts.Free();
        var b = await HostExecutable.StartAsync(_root.FullName,
            "--data-dir", Path.Combine(_root.FullName, "b-data"),
            "--object", $"tls-creds-x509,id=tls0,dir={pki.ServerDir},endpoint=server",
            "--blockdev", $"driver=file,node-name=f0,filename={image}",
            "--nbd-server", $"addr.type=inet,addr.host=127.0.0.1,addr.port={port},tls-creds=tls0",
            "--export", "type=nbd,id=e0,node-name=f0,name=disk,writable=on");
        try
        {
            await WriteThroughUsAndReadOverTlsAsync(new JsonObject { ["type"] = "inet", ["host"] = "127.0.0.1", ["port"] = $"{port}" }, "disk", null,
                $"driver=nbd,server.type=inet,server.host=127.0.0.1,server.port={port},export=disk");
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    /// <summary>
    /// Against a server that requires TLS: a node without tls-creds is told so, and one whose
    /// tls-hostname the server's certificate does not carry fails the handshake; neither is added.
    /// </summary>
    [NbdClientFact("openssl")]
    public async Task A_node_without_TLS_or_with_the_wrong_server_name_is_refused_saying_why()
    {
        await using var nbd = await NbdHost.StartAsync(Nodes.Tls.TlsCredsX509.Load("tls0", pki.ServerDir, Nodes.Tls.TlsEndpoint.Server));
        await nbd.AddNodeAsync("d0", "null-co", ("size", "1M"));
        await nbd.AddExportAsync("disk", "d0");
        await using var host = await QmpFixture.StartAsync();
        await using var qmp = await host.ConnectAsync();
        await qmp.ReturnOfAsync("object-add", new JsonObject { ["qom-type"] = "tls-creds-x509", ["id"] = "client0", ["dir"] = pki.ClientDir, ["endpoint"] = "client" });
        JsonObject Node(params (string Key, string Value)[] tls)
        {
            var node = new JsonObject
            {
                ["driver"] = "nbd",
                ["node-name"] = "remote",
                ["server"] = new JsonObject { ["type"] = "unix", ["path"] = nbd.SocketPath },
                ["export"] = "disk",
                ["read-only"] = true,
            };
            foreach (var (key, value) in tls)
            {
                node[key] = value;
            }
            return node;
        }

        var plain = await qmp.ErrorOfAsync("blockdev-add", Node());
        var wrongName = await qmp.ErrorOfAsync("blockdev-add", Node(("tls-creds", "client0"), ("tls-hostname", "elsewhere.example")));
        var noName = await qmp.ErrorOfAsync("blockdev-add", Node(("tls-creds", "client0")));
        var nodes = await qmp.ReturnOfAsync("query-named-block-nodes");

        Assert.Contains("the server requires TLS (give the node tls-creds)", plain.Desc);
        Assert.Contains("TLS handshake failed", wrongName.Desc);
        Assert.Equal(("GenericError", "No hostname for certificate validation"), noName);
        Assert.Empty(nodes.AsArray());
    }

    /// <summary>
    /// Our host with an nbd node over TLS on <paramref name="server"/>'s <paramref name="export"/>
    /// (<see cref="ServeAsync"/>): 1 MiB written through our export reads back from the server
    /// over TLS, by qemu-io with <paramref name="serverImageOpts"/>, and the MiB before it as zeroes.
    /// </summary>
    private async Task WriteThroughUsAndReadOverTlsAsync(JsonObject server, string export, string? tlsHostname, string serverImageOpts)
    {
        await using var host = await QmpFixture.StartWithNbdServerAsync();
        await using var qmp = await host.ConnectAsync();
        var ourSocket = await ServeAsync(qmp, host, server, export, tlsHostname);
        try
        {
            await Tool("qemu-io", "-f", "raw", "-c", "write -P 0x7c 1M 1M", "-c", "read -P 0x7c 1M 1M", $"nbd+unix:///disk?socket={ourSocket}");

            await Tool("qemu-io", "--object", $"tls-creds-x509,id=tls0,dir={pki.ClientDir},endpoint=client", "-c", "read -P 0x7c 1M 1M", "-c", "read -P 0 0 1M",
                "--image-opts", $"{serverImageOpts},tls-creds=tls0");
        }
        finally
        {
            await host.Host.Host.Runtime.CloseNodeAsync("remote");
        }
    }

    /// <summary>
    /// Adds the client credentials, an nbd node 'remote' on <paramref name="server"/>'s
    /// <paramref name="export"/> over TLS, raw 'disk' above it, exports 'disk' on our NBD server
    /// (plain, on a Unix socket); returns that socket.
    /// </summary>
    private async Task<string> ServeAsync(QmpTestClient qmp, QmpFixture host, JsonObject server, string export, string? tlsHostname = null)
    {
        var socket = Path.Combine(host.Host.DataDir, "nbd.sock");
        await qmp.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = new JsonObject { ["type"] = "unix", ["path"] = socket } });
        await qmp.ReturnOfAsync("object-add", new JsonObject { ["qom-type"] = "tls-creds-x509", ["id"] = "client0", ["dir"] = pki.ClientDir, ["endpoint"] = "client" });
        var node = new JsonObject { ["driver"] = "nbd", ["node-name"] = "remote", ["server"] = server, ["export"] = export, ["tls-creds"] = "client0" };
        if (tlsHostname is not null)
        {
            node["tls-hostname"] = tlsHostname;
        }
        await qmp.ReturnOfAsync("blockdev-add", node);
        await qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "raw", ["node-name"] = "disk", ["file"] = "remote" });
        await qmp.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e0", ["node-name"] = "disk", ["writable"] = true });
        return socket;
    }

    private static async Task Tool(string tool, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync(tool, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("Pattern verification failed", result.Stdout + result.Stderr);
    }
}
