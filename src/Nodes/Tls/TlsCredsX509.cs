using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Nodes.Tls;

/// <summary>
/// QEMU's <c>tls-creds-x509</c> object: PEM files under QEMU's names in one directory, loaded and
/// checked once, when the object is created.
/// <list type="bullet">
/// <item>server endpoint: <c>ca-cert.pem</c>, <c>server-cert.pem</c>, <c>server-key.pem</c>, all
/// required. With <c>verify-peer</c> (on by default, as in QEMU) a client must present a
/// certificate that chains to the CA, or the handshake fails.</item>
/// <item>client endpoint: <c>ca-cert.pem</c>, required; <c>client-cert.pem</c> and
/// <c>client-key.pem</c> when both are there. With <c>verify-peer</c> the server's certificate
/// must chain to the CA and name the host connected to (on a Unix socket, <c>tls-hostname</c>).</item>
/// </list>
/// TLS 1.2 and 1.3 only (the NBD spec's floor). <c>dh-params.pem</c> is not read (.NET negotiates
/// ECDHE); <c>ca-crl.pem</c> is refused rather than ignored, since ignoring it would let revoked
/// certificates in.
/// </summary>
public sealed class TlsCredsX509
{
    public const string CaCertFile = "ca-cert.pem";
    public const string CaCrlFile = "ca-crl.pem";
    public const string ServerCertFile = "server-cert.pem";
    public const string ServerKeyFile = "server-key.pem";
    public const string ClientCertFile = "client-cert.pem";
    public const string ClientKeyFile = "client-key.pem";

    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private readonly X509Certificate2Collection _ca;
    private readonly SslStreamCertificateContext? _own;
    private readonly SslServerAuthenticationOptions? _serverOptions;

    private TlsCredsX509(string id, TlsEndpoint endpoint, string dir, bool verifyPeer, X509Certificate2Collection ca, SslStreamCertificateContext? own)
    {
        Id = id;
        Endpoint = endpoint;
        Dir = dir;
        VerifyPeer = verifyPeer;
        _ca = ca;
        _own = own;
        if (endpoint == TlsEndpoint.Server)
        {
            // One instance for every connection: SslStream copies what it needs at each handshake.
            _serverOptions = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = own,
                ClientCertificateRequired = verifyPeer,
                EnabledSslProtocols = Protocols,
                CertificateChainPolicy = ChainPolicy(ca),
                RemoteCertificateValidationCallback = verifyPeer ? static (_, _, _, errors) => errors == SslPolicyErrors.None : static (_, _, _, _) => true,
            };
        }
    }

    public string Id { get; }

    public TlsEndpoint Endpoint { get; }

    public string Dir { get; }

    /// <summary>The peer must present a certificate that chains to the CA (QEMU's <c>verify-peer</c>).</summary>
    public bool VerifyPeer { get; }

    /// <summary>
    /// Loads the files of <paramref name="endpoint"/> from <paramref name="dir"/>; throws
    /// <see cref="ArgumentException"/> in QEMU's words, naming the file
    /// (<c>Unable to access credentials /dir/ca-cert.pem: No such file or directory</c>). With
    /// <paramref name="sanityCheck"/> (QEMU's default) our own certificate must chain to the CA and be valid now.
    /// </summary>
    public static TlsCredsX509 Load(string id, string? dir, TlsEndpoint endpoint, bool verifyPeer = true, bool sanityCheck = true)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (dir is null)
        {
            throw new ArgumentException("Missing 'dir' property value");
        }
        var caPath = Find(dir, CaCertFile, required: true)!;
        string? certPath;
        string? keyPath;
        if (endpoint == TlsEndpoint.Server)
        {
            if (Find(dir, CaCrlFile, required: false) is { } crl)
            {
                throw new ArgumentException($"Cannot load CRL '{crl}': revocation lists are not supported here (remove the file, or revoke by issuing from a new CA)");
            }
            certPath = Find(dir, ServerCertFile, required: true);
            keyPath = Find(dir, ServerKeyFile, required: true);
        }
        else
        {
            certPath = Find(dir, ClientCertFile, required: false);
            keyPath = Find(dir, ClientKeyFile, required: false);
        }
        var ca = new X509Certificate2Collection();
        try
        {
            ca.ImportFromPemFile(caPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot load CA certificate '{caPath}': {e.Message}", e);
        }
        if (ca.Count == 0)
        {
            throw new ArgumentException($"Cannot load CA certificate '{caPath}': no certificate in the file");
        }
        SslStreamCertificateContext? own = null;
        if (certPath is not null && keyPath is not null)
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"Cannot load certificate '{certPath}' & key '{keyPath}': {e.Message}", e);
            }
            if (sanityCheck)
            {
                CheckOwn(certificate, certPath, ca, caPath);
            }
            // offline: the chain is ours to give (the CA is the peer's trust anchor), nothing is fetched.
            own = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true,
                trust: endpoint == TlsEndpoint.Server ? SslCertificateTrust.CreateForX509Collection(ca, sendTrustInHandshake: verifyPeer) : null);
        }
        return new TlsCredsX509(id, endpoint, dir, verifyPeer, ca, own);
    }

    /// <summary>What the NBD server hands <see cref="SslStream.AuthenticateAsServerAsync(SslServerAuthenticationOptions, CancellationToken)"/>.</summary>
    public SslServerAuthenticationOptions ServerOptions() =>
        _serverOptions ?? throw new InvalidOperationException($"TLS credentials '{Id}' are for a client endpoint");

    /// <summary>
    /// What a client hands <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/>
    /// to reach a server whose certificate must name <paramref name="hostname"/>. With
    /// <see cref="VerifyPeer"/> a name is required, as in QEMU: without one, any certificate the
    /// CA signed (a client's too) would pass for the server's.
    /// </summary>
    /// <exception cref="ArgumentException">No <paramref name="hostname"/> to check, in QEMU's words.</exception>
    public SslClientAuthenticationOptions ClientOptions(string? hostname)
    {
        if (Endpoint != TlsEndpoint.Client)
        {
            throw new InvalidOperationException($"TLS credentials '{Id}' are for a server endpoint");
        }
        if (VerifyPeer && hostname is null)
        {
            throw new ArgumentException("No hostname for certificate validation");
        }
        return new SslClientAuthenticationOptions
        {
            TargetHost = hostname ?? "",
            ClientCertificateContext = _own,
            EnabledSslProtocols = Protocols,
            CertificateChainPolicy = ChainPolicy(_ca),
            RemoteCertificateValidationCallback = VerifyPeer ? static (_, _, _, errors) => errors == SslPolicyErrors.None : static (_, _, _, _) => true,
        };
    }

    /// <summary>Trust is the CA of this object alone, never the machine's store; QEMU does not check revocation without a CRL either.</summary>
    private static X509ChainPolicy ChainPolicy(X509Certificate2Collection ca)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(ca);
        return policy;
    }

    /// <summary>QEMU's sanity check, in short: a certificate the peer will refuse is an error now, not at the first connection.</summary>
    private static void CheckOwn(X509Certificate2 certificate, string certPath, X509Certificate2Collection ca, string caPath)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicy(ca) };
        if (!chain.Build(certificate))
        {
            var reasons = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
            throw new ArgumentException($"Our own certificate {certPath} failed validation against {caPath}: {reasons}");
        }
    }

    /// <summary>
    /// QEMU's qcrypto_tls_creds_get_path: <c>DIR/FILE</c> if it is there, null for an optional
    /// file that is not, and for a required one an error naming it.
    /// </summary>
    private static string? Find(string dir, string file, bool required)
    {
        var path = $"{dir}/{file}";
        return File.Exists(path) ? path
            : required ? throw new ArgumentException($"Unable to access credentials {path}: No such file or directory")
            : null;
    }
}
