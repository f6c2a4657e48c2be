using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Remote.Transport.DotNetty;

namespace Actors.Config;

/// <summary>
/// TLS between the hosts of a cluster (<c>actors.cluster.tls</c> in reference.conf): every host
/// presents the cluster's certificate, and accepts a connection, in either direction, only from a
/// peer that presents that same certificate (pinned by thumbprint, mutual authentication). A
/// self-signed certificate serves: no CA store is asked. Akka takes a pinned peer only in code, as a
/// <see cref="DotNettySslSetup"/>; the host maps the same keys onto
/// <c>akka.remote.dot-netty.tcp.enable-ssl</c>.
/// </summary>
public static class ClusterTls
{
    private const string CertificateKey = "actors.cluster.tls.certificate";

    /// <summary>
    /// The setup for the certificate <paramref name="resolved"/> names, or null when it names none.
    /// Throws <see cref="ConfigException"/> naming the key when the file cannot be read as a PKCS#12
    /// certificate with its private key (missing, wrong password, no key).
    /// </summary>
    public static DotNettySslSetup? SetupFor(Config resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        var path = resolved.GetString(CertificateKey, "");
        if (path.Length == 0)
        {
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, NullIfEmpty(resolved.GetString("actors.cluster.tls.password", "")));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{CertificateKey} {path}: cannot read it as a PKCS#12 certificate: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            throw new ConfigException($"{CertificateKey} {path}: the file has no private key (a host proves it holds the certificate with it)");
        }
        return new DotNettySslSetup(
            certificate,
            suppressValidation: false,
            requireMutualAuthentication: true,
            validateCertificateHostname: false,
            CertificateValidation.PinnedCertificate(certificate.Thumbprint));
    }

    private static string? NullIfEmpty(string password) => password.Length == 0 ? null : password;
}
