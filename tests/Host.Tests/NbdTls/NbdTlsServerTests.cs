using System.Buffers.Binary;
using System.Text;
using Host.Tests.Nbd;
using Nodes.Tls;
using TestTools;
using static Nodes.Nbd.NbdProtocol;

namespace Host.Tests.NbdTls;

/// <summary>
/// The NBD server with <c>tls-creds</c>, against the TLS clients users run (qemu-io and qemu-img
/// with a tls-creds-x509 object, nbdinfo with an <c>nbds://</c> URI) and against
/// qemu-storage-daemon with the same certificates, for the refusals.
/// </summary>
public sealed class NbdTlsServerTests(TlsPki pki) : IClassFixture<TlsPki>
{
    private const int MiB = 1 << 20;

    private TlsCredsX509 ServerCreds(bool verifyPeer = true) => TlsCredsX509.Load("tls0", pki.ServerDir, TlsEndpoint.Server, verifyPeer);

    /// <summary>qemu-io's TLS client: the tls-creds-x509 object with the client's certificate, and the nbd driver's tls-creds.</summary>
    private string[] QemuIoOverTls(string server, params string[] commands) =>
    [
        "--object", $"tls-creds-x509,id=tls0,dir={pki.ClientDir},endpoint=client",
        "--image-opts", .. commands.SelectMany(c => new[] { "-c", c }), $"driver=nbd,{server},export=disk0,tls-creds=tls0",
    ];

    /// <summary>
    /// Over TCP to 127.0.0.1, so qemu-io also checks that the server's certificate names the
    /// address it connected to; the data reaches the image file.
    /// </summary>
    [NbdClientFact("qemu-io", "openssl")]
    public async Task Qemu_io_over_TLS_on_TCP_writes_a_pattern_and_reads_it_back()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds(), tcp: true);
        await nbd.AddFileExportAsync("disk0", 4 * MiB);

        var result = await NbdTools.RunAsync("qemu-io", QemuIoOverTls(
            $"server.type=inet,server.host=127.0.0.1,server.port={nbd.Port}", "write -P 0xab 0 1M", "read -P 0xab 0 1M"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("read 1048576/1048576 bytes", result.Stdout);
        Assert.DoesNotContain("Pattern verification failed", result.Stdout + result.Stderr);
        var image = await File.ReadAllBytesAsync(nbd.ImagePath("disk0.img"));
        Assert.All(image.AsSpan(0, MiB).ToArray(), b => Assert.Equal(0xab, b));
    }

    /// <summary>A Unix socket has no host name: QEMU's client takes the one to check from tls-hostname.</summary>
    [NbdClientFact("qemu-img", "openssl")]
    public async Task Qemu_img_info_over_TLS_on_a_Unix_socket_with_tls_hostname_shows_the_export_size()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds());
        await nbd.AddFileExportAsync("disk0", 4 * MiB);

        var result = await NbdTools.RunAsync("qemu-img", "info",
            "--object", $"tls-creds-x509,id=tls0,dir={pki.ClientDir},endpoint=client",
            "--image-opts", $"driver=nbd,server.type=unix,server.path={nbd.SocketPath},export=disk0,tls-creds=tls0,tls-hostname=localhost");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(4194304 bytes)", result.Stdout);
    }

    [NbdClientFact("nbdinfo", "openssl")]
    public async Task Nbdinfo_over_nbds_shows_the_export_and_says_TLS()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds());
        await nbd.AddFileExportAsync("disk0", 4 * MiB);

        var result = await NbdTools.RunAsync("nbdinfo", $"nbds+unix:///disk0?socket={nbd.SocketPath}&tls-certificates={pki.ClientDir}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("newstyle-fixed with TLS", result.Stdout);
        Assert.Contains("export-size: 4194304", result.Stdout);
    }

    /// <summary>
    /// A client that does not start TLS learns nothing: nbdinfo fails on our server with the same
    /// words as on qemu-storage-daemon with the same certificates, for an export and for the list.
    /// </summary>
    [NbdClientFact("nbdinfo", "qemu-storage-daemon", "openssl")]
    public async Task A_plain_nbdinfo_is_refused_in_the_same_words_as_by_qemu_storage_daemon()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds());
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        await using var qsd = await StartQsdAsync();

        var ours = await PlainNbdinfoAsync(nbd.SocketPath);
        var theirs = await PlainNbdinfoAsync(qsd.SocketPath);

        Assert.All(ours, r => Assert.NotEqual(0, r.ExitCode));
        Assert.Contains("Operation not supported", ours[0].Stderr);
        Assert.Equal(theirs.Select(r => (r.ExitCode, r.Stderr.Replace(qsd.SocketPath, "SOCK"))), ours.Select(r => (r.ExitCode, r.Stderr.Replace(nbd.SocketPath, "SOCK"))));
    }

    /// <summary>
    /// The spec's FORCEDTLS: before NBD_OPT_STARTTLS every option is answered NBD_REP_ERR_TLS_REQD,
    /// as qemu-storage-daemon answers them, and NBD_OPT_EXPORT_NAME, which has no error reply,
    /// closes the connection without a byte of the export.
    /// </summary>
    [NbdClientFact("qemu-storage-daemon", "openssl")]
    public async Task Before_STARTTLS_every_option_gets_TLS_REQD_and_EXPORT_NAME_closes_the_connection_as_in_qemu_storage_daemon()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds());
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        await using var qsd = await StartQsdAsync();

        var ours = await BeforeTlsAsync(nbd.SocketPath);
        var theirs = await BeforeTlsAsync(qsd.SocketPath);

        Assert.Equal([RepErrTlsReqd, RepErrTlsReqd, RepErrTlsReqd, RepErrTlsReqd, RepErrTlsReqd, RepErrTlsReqd], ours.Replies);
        Assert.True(ours.ClosedAfterExportName);
        Assert.Equal(theirs.Replies, ours.Replies);
        Assert.Equal(theirs.ClosedAfterExportName, ours.ClosedAfterExportName);
    }

    [NbdClientFact("qemu-storage-daemon")]
    public async Task STARTTLS_on_a_server_without_TLS_gets_ERR_POLICY_as_from_qemu_storage_daemon()
    {
        await using var nbd = await NbdHost.StartAsync();
        await using var qsd = await QemuStorageDaemon.StartAsync(Path.Combine(nbd.Fixture.DataDir, "qsd.sock"), []);

        var ours = await StartTlsReplyAsync(nbd.SocketPath);
        var theirs = await StartTlsReplyAsync(qsd.SocketPath);

        Assert.Equal(RepErrPolicy, ours);
        Assert.Equal(theirs, ours);
    }

    /// <summary>
    /// verify-peer (on by default): a client certificate from another CA, or none, fails the
    /// handshake on our server as on qemu-storage-daemon's; with verify-peer=off a client without
    /// a certificate gets in.
    /// </summary>
    [NbdClientFact("nbdinfo", "qemu-storage-daemon", "openssl")]
    public async Task A_client_certificate_the_CA_did_not_sign_or_none_is_refused_unless_verify_peer_is_off()
    {
        await using var nbd = await NbdHost.StartAsync(ServerCreds());
        await nbd.AddFileExportAsync("disk0", 4 * MiB);
        await using var qsd = await StartQsdAsync();
        await using var lax = await NbdHost.StartAsync(ServerCreds(verifyPeer: false));
        await lax.AddFileExportAsync("disk0", 4 * MiB);

        var rogue = await NbdinfoOverTlsAsync(nbd.SocketPath, pki.RogueDir);
        var noCertificate = await NbdinfoOverTlsAsync(nbd.SocketPath, pki.NoCertDir);
        var rogueOnQsd = await NbdinfoOverTlsAsync(qsd.SocketPath, pki.RogueDir);
        var noCertificateOnQsd = await NbdinfoOverTlsAsync(qsd.SocketPath, pki.NoCertDir);
        var noCertificateVerifyOff = await NbdinfoOverTlsAsync(lax.SocketPath, pki.NoCertDir);
        var good = await NbdinfoOverTlsAsync(nbd.SocketPath, pki.ClientDir);

        Assert.NotEqual(0, rogueOnQsd.ExitCode);
        Assert.NotEqual(0, noCertificateOnQsd.ExitCode);
        Assert.True(rogue.ExitCode != 0, rogue.ToString());
        Assert.True(noCertificate.ExitCode != 0, noCertificate.ToString());
        Assert.DoesNotContain("export-size", rogue.Stdout + noCertificate.Stdout);
        Assert.True(noCertificateVerifyOff.ExitCode == 0, noCertificateVerifyOff.ToString());
        Assert.True(good.ExitCode == 0, good.ToString());
    }

    /// <summary>
    /// Our own client over TLS (the nbd driver's): requests in flight both ways, then the server
    /// stops with the connection open, and the stop closes it rather than waiting on it.
    /// </summary>
    [NbdClientFact("openssl")]
    public async Task Stopping_the_server_closes_a_TLS_connection_in_transmission()
    {
        var nbd = await NbdHost.StartAsync(ServerCreds());
        try
        {
            await nbd.AddFileExportAsync("disk0", 4 * MiB);
            var creds = TlsCredsX509.Load("client0", pki.ClientDir, TlsEndpoint.Client);
            await using var client = await Nodes.Nbd.NbdClient.ConnectAsync(
                new System.Net.Sockets.UnixDomainSocketEndPoint(nbd.SocketPath), "disk0", maxInFlight: 8, creds.ClientOptions("localhost"), CancellationToken.None);
            var data = Enumerable.Range(0, 256 << 10).Select(i => (byte)i).ToArray();
            var back = new byte[data.Length];

            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.WriteAsync(i * (long)data.Length, data).AsTask()));
            await client.ReadAsync(3L * data.Length, back);
            await nbd.Server.StopAsync().WaitAsync(NbdHost.Timeout);
            var closed = await client.Closed.WaitAsync(NbdHost.Timeout);

            Assert.Equal(data, back);
            Assert.Equal(Nodes.Nbd.NbdFailure.ConnectionLost, closed.Failure);
        }
        finally
        {
            await nbd.DisposeAsync();
        }
    }

    /// <summary>
    /// handshake-max-seconds covers the TLS handshake: a client that gets STARTTLS's ACK and then
    /// never sends its ClientHello is closed once the limit passes, and the log says why.
    /// </summary>
    [NbdClientFact("openssl")]
    public async Task A_client_that_stalls_in_the_TLS_handshake_is_closed_once_the_handshake_limit_passes()
    {
        var log = new MemoryLoggerProvider();
        await using var nbd = await NbdHost.StartAsync(new NbdServerSettings(ServerCreds(), new Host.Nbd.NbdHandshakeLimit(1), log.CreateLogger("nbd")));
        await using var client = await RawNbdClient.ConnectAsync(nbd.SocketPath);
        await client.SendClientFlagsAsync();
        var ack = (await client.OptionAsync(OptStartTls, []))[^1].Type;

        Assert.Equal(RepAck, ack);
        Assert.True(await client.IsClosedByServerAsync());
        await log.WaitForAsync(l => l.Message.Contains("did not finish the handshake within 1 s", StringComparison.Ordinal));
    }

    private Task<QemuStorageDaemon> StartQsdAsync() => QemuStorageDaemon.StartAsync(
        Path.Combine(pki.Root, $"qsd-{Guid.NewGuid():N}.sock"),
        ["--blockdev", "driver=null-co,node-name=n0,size=4194304", "--export", "type=nbd,id=e0,node-name=n0,name=disk0"],
        pki.ServerDir);

    private static async Task<TestTools.ExternalTool.Result[]> PlainNbdinfoAsync(string socketPath) =>
    [
        await NbdTools.RunAsync("nbdinfo", $"nbd+unix:///disk0?socket={socketPath}"),
        await NbdTools.RunAsync("nbdinfo", "--list", $"nbd+unix:///?socket={socketPath}"),
    ];

    private static Task<TestTools.ExternalTool.Result> NbdinfoOverTlsAsync(string socketPath, string certificates) =>
        NbdTools.RunAsync("nbdinfo", $"nbds+unix:///disk0?socket={socketPath}&tls-certificates={certificates}");

    /// <summary>LIST, INFO, GO, STRUCTURED_REPLY, LIST_META_CONTEXT and an unknown option before TLS; then EXPORT_NAME.</summary>
    private static async Task<(List<uint> Replies, bool ClosedAfterExportName)> BeforeTlsAsync(string socketPath)
    {
        await using var client = await RawNbdClient.ConnectAsync(socketPath);
        await client.SendClientFlagsAsync();
        var replies = new List<uint>();
        foreach (var (option, data) in new[]
        {
            (OptList, Array.Empty<byte>()),
            (OptInfo, InfoRequest("disk0")),
            (OptGo, InfoRequest("disk0")),
            (OptStructuredReply, []),
            (OptListMetaContext, RawNbdClient.MetaContextData("disk0", "base:allocation")),
            (99u, []),
        })
        {
            replies.Add((await client.OptionAsync(option, data))[^1].Type);
        }
        var name = Encoding.UTF8.GetBytes("disk0");
        var exportName = new byte[16 + name.Length];
        BinaryPrimitives.WriteUInt64BigEndian(exportName, IHaveOpt);
        BinaryPrimitives.WriteUInt32BigEndian(exportName.AsSpan(8), OptExportName);
        BinaryPrimitives.WriteUInt32BigEndian(exportName.AsSpan(12), (uint)name.Length);
        name.CopyTo(exportName, 16);
        await client.WriteAsync(exportName);
        return (replies, await client.IsClosedByServerAsync());
    }

    private static async Task<uint> StartTlsReplyAsync(string socketPath)
    {
        await using var client = await RawNbdClient.ConnectAsync(socketPath);
        await client.SendClientFlagsAsync();
        return (await client.OptionAsync(OptStartTls, []))[^1].Type;
    }

    /// <summary>NBD_OPT_INFO / NBD_OPT_GO data: the name, and no information requests.</summary>
    private static byte[] InfoRequest(string export)
    {
        var name = Encoding.UTF8.GetBytes(export);
        var data = new byte[4 + name.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)name.Length);
        name.CopyTo(data, 4);
        return data;
    }
}
