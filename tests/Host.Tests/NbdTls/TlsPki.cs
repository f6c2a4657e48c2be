using TestTools;

namespace Host.Tests.NbdTls;

/// <summary>
/// A CA and the certificates the TLS tests use, made with openssl in a temporary directory, laid
/// out as QEMU's tls-creds-x509 and libnbd's <c>tls-certificates</c> read them:
/// <list type="bullet">
/// <item><see cref="ServerDir"/>: ca-cert.pem, server-cert.pem, server-key.pem (names localhost and 127.0.0.1);</item>
/// <item><see cref="ClientDir"/>: ca-cert.pem, client-cert.pem, client-key.pem (signed by the CA);</item>
/// <item><see cref="RogueDir"/>: the CA's ca-cert.pem, and a client certificate another CA signed;</item>
/// <item><see cref="NoCertDir"/>: the CA's ca-cert.pem alone (a client without a certificate).</item>
/// </list>
/// </summary>
public sealed class TlsPki : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("nbd-tls-pki-");

    public string Root => _root.FullName;

    public string ServerDir => Path.Combine(Root, "server");

    public string ClientDir => Path.Combine(Root, "client");

    public string RogueDir => Path.Combine(Root, "rogue");

    public string NoCertDir => Path.Combine(Root, "nocert");

    public async Task InitializeAsync()
    {
        if (ExternalTool.Find("openssl") is null)
        {
            // The tests say so themselves: they need openssl (NbdClientFact).
            return;
        }
        foreach (var dir in new[] { ServerDir, ClientDir, RogueDir, NoCertDir })
        {
            Directory.CreateDirectory(dir);
        }
        var ca = await CaAsync("ca", "Actors test CA");
        var rogueCa = await CaAsync("rogue-ca", "Rogue CA");
        await IssueAsync(ca, "localhost", "serverAuth", Path.Combine(ServerDir, "server"), "subjectAltName=DNS:localhost,IP:127.0.0.1");
        await IssueAsync(ca, "client", "clientAuth", Path.Combine(ClientDir, "client"));
        await IssueAsync(rogueCa, "rogue", "clientAuth", Path.Combine(RogueDir, "client"));
        foreach (var dir in new[] { ServerDir, ClientDir, RogueDir, NoCertDir })
        {
            File.Copy(Path.Combine(Root, "ca-cert.pem"), Path.Combine(dir, "ca-cert.pem"));
        }
    }

    public Task DisposeAsync()
    {
        _root.Delete(recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A self-signed CA: <c>NAME-cert.pem</c> and <c>NAME-key.pem</c> in the root; returns the path prefix.</summary>
    private async Task<string> CaAsync(string name, string subject)
    {
        var prefix = Path.Combine(Root, name);
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", $"{prefix}-key.pem", "-out", $"{prefix}-cert.pem", "-days", "2", "-subj", $"/CN={subject}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return prefix;
    }

    /// <summary>A certificate for <paramref name="subject"/> signed by the CA at <paramref name="ca"/>: <c>PREFIX-cert.pem</c>, <c>PREFIX-key.pem</c>.</summary>
    private async Task IssueAsync(string ca, string subject, string purpose, string prefix, string? extra = null)
    {
        var extensions = Path.Combine(Root, $"{subject}.ext");
        await File.WriteAllLinesAsync(extensions, [
            "basicConstraints=CA:FALSE",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            $"extendedKeyUsage={purpose}",
            .. extra is null ? Array.Empty<string>() : [extra],
        ]);
        var request = Path.Combine(Root, $"{subject}.csr");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", $"{prefix}-key.pem", "-out", request, "-subj", $"/CN={subject}");
        await OpenSslAsync("x509", "-req", "-in", request, "-CA", $"{ca}-cert.pem", "-CAkey", $"{ca}-key.pem", "-CAcreateserial",
            "-out", $"{prefix}-cert.pem", "-days", "2", "-extfile", extensions);
    }

    private static async Task OpenSslAsync(params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("openssl", arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }
    }
}
