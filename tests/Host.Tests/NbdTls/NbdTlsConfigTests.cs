using System.Text.Json.Nodes;
using Host.Tests.Cli;
using Host.Tests.Nbd;
using Host.Tests.Qmp;

namespace Host.Tests.NbdTls;

/// <summary>
/// TLS credentials as qemu-storage-daemon takes them (<c>--object tls-creds-x509</c>, QMP
/// <c>object-add</c>) and the servers and nodes that name them: what is refused, in QEMU's words.
/// </summary>
public sealed class NbdTlsConfigTests(TlsPki pki) : IClassFixture<TlsPki>, IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("nbd-tls-config-");

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>
    /// A credentials dir without a file the endpoint needs stops the host with one line naming
    /// the file, the same line as qemu-storage-daemon's after the program's name.
    /// </summary>
    [NbdClientTheory("qemu-storage-daemon", "openssl")]
    [InlineData("nowhere", "server", "ca-cert.pem")]
    [InlineData("ca-only", "server", "server-cert.pem")]
    [InlineData("nowhere", "client", "ca-cert.pem")]
    public async Task A_bad_certificate_dir_exits_1_with_one_line_naming_the_missing_file_as_qsd_does(string dir, string endpoint, string missing)
    {
        var path = Path.Combine(_root.FullName, dir);
        if (dir == "ca-only")
        {
            Directory.CreateDirectory(path);
            File.Copy(Path.Combine(pki.ServerDir, "ca-cert.pem"), Path.Combine(path, "ca-cert.pem"));
        }
        var option = $"tls-creds-x509,id=tls0,dir={path},endpoint={endpoint}";

        var (code, line) = await RunHostAsync("--object", option);
        var qsd = await NbdTools.RunAsync("qemu-storage-daemon", "--object", option);

        Assert.Equal(1, code);
        Assert.Equal($"actors-host: --object {option}: Unable to access credentials {path}/{missing}: No such file or directory", line);
        Assert.Equal(1, qsd.ExitCode);
        Assert.Equal(line["actors-host: ".Length..], qsd.Stderr.Trim()["qemu-storage-daemon: ".Length..]);
    }

    [Theory]
    [InlineData("--object", "tls-creds-x509,id=tls0,endpoint=server", "--object tls-creds-x509,id=tls0,endpoint=server: Missing 'dir' property value")]
    [InlineData("--object", "tls-creds-x509,id=tls0,dir=/x,endpoint=both", "--object tls-creds-x509,id=tls0,dir=/x,endpoint=both: Parameter 'endpoint' does not accept value 'both'")]
    [InlineData("--object", "tls-creds-x509,id=tls0,dir=/x,priority=NORMAL", "--object tls-creds-x509,id=tls0,dir=/x,priority=NORMAL: Property 'priority' is not supported")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=nbd.sock,tls-creds=nosuch", "--nbd-server: No TLS credentials with id 'nosuch'")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=nbd.sock,tls-authz=authz0", "--nbd-server: 'tls-authz' is not supported")]
    [InlineData("--nbd-server", "addr.type=unix,addr.path=nbd.sock,tls=on", "--nbd-server: Parameter 'tls' is unexpected")]
    public async Task A_refused_TLS_option_exits_1_with_one_line_naming_it(string option, string value, string expected)
    {
        var (code, line) = await RunHostAsync(option, value);

        Assert.Equal(1, code);
        Assert.StartsWith($"actors-host: {expected}", line);
    }

    [NbdClientFact("openssl")]
    public async Task An_NBD_server_given_client_credentials_exits_1_in_QEMUs_words()
    {
        var (code, line) = await RunHostAsync(
            "--object", $"tls-creds-x509,id=tls0,dir={pki.ClientDir},endpoint=client",
            "--nbd-server", $"addr.type=unix,addr.path={_root.FullName}/nbd.sock,tls-creds=tls0");

        Assert.Equal(1, code);
        Assert.Equal("actors-host: --nbd-server: Expected TLS credentials for a server endpoint", line);
    }

    /// <summary>
    /// object-add loads the files at once (a bad dir is its GenericError); nbd-server-start takes
    /// only a server endpoint's credentials; then a TLS client gets in and a plain one does not.
    /// </summary>
    [NbdClientFact("nbdinfo", "openssl")]
    public async Task Over_QMP_object_add_checks_the_files_and_nbd_server_start_serves_TLS_with_them()
    {
        await using var fixture = await QmpFixture.StartWithNbdServerAsync();
        await using var qmp = await fixture.ConnectAsync();
        var missing = Path.Combine(_root.FullName, "nowhere");
        var socket = Path.Combine(fixture.Host.DataDir, "nbd.sock");
        var addr = new JsonObject { ["type"] = "unix", ["path"] = socket };

        var badDir = await qmp.ErrorOfAsync("object-add", Creds("tls0", missing, "server"));
        await qmp.ReturnOfAsync("object-add", Creds("client0", pki.ClientDir, "client"));
        var duplicate = await qmp.ErrorOfAsync("object-add", Creds("client0", pki.ClientDir, "client"));
        var unknown = await qmp.ErrorOfAsync("nbd-server-start", new JsonObject { ["addr"] = addr.DeepClone(), ["tls-creds"] = "tls0" });
        var wrongEnd = await qmp.ErrorOfAsync("nbd-server-start", new JsonObject { ["addr"] = addr.DeepClone(), ["tls-creds"] = "client0" });
        await qmp.ReturnOfAsync("object-add", Creds("tls0", pki.ServerDir, "server"));
        await qmp.ReturnOfAsync("nbd-server-start", new JsonObject { ["addr"] = addr.DeepClone(), ["tls-creds"] = "tls0" });
        await qmp.ReturnOfAsync("blockdev-add", new JsonObject { ["driver"] = "null-co", ["node-name"] = "disk0", ["size"] = 1 << 20 });
        await qmp.ReturnOfAsync("block-export-add", new JsonObject { ["type"] = "nbd", ["id"] = "e0", ["node-name"] = "disk0" });
        var overTls = await NbdTools.RunAsync("nbdinfo", $"nbds+unix:///disk0?socket={socket}&tls-certificates={pki.ClientDir}");
        var plain = await NbdTools.RunAsync("nbdinfo", $"nbd+unix:///disk0?socket={socket}");

        Assert.Equal(("GenericError", $"Unable to access credentials {missing}/ca-cert.pem: No such file or directory"), badDir);
        Assert.Equal(("GenericError", "attempt to add duplicate property 'client0' to object (type 'container')"), duplicate);
        Assert.Equal(("GenericError", "No TLS credentials with id 'tls0'"), unknown);
        Assert.Equal(("GenericError", "Expected TLS credentials for a server endpoint"), wrongEnd);
        Assert.True(overTls.ExitCode == 0, overTls.ToString());
        Assert.Contains("export-size: 1048576", overTls.Stdout);
        Assert.NotEqual(0, plain.ExitCode);
    }

    private static JsonObject Creds(string id, string dir, string endpoint) => new()
    {
        ["qom-type"] = "tls-creds-x509",
        ["id"] = id,
        ["dir"] = dir,
        ["endpoint"] = endpoint,
    };

    private Task<(int Code, string Line)> RunHostAsync(params string[] options) =>
        RefusedStart.RunAsync(["--data-dir", Path.Combine(_root.FullName, "data"), .. options]);
}
