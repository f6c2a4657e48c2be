using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Host.Tests.Cluster;

/// <summary>Self-signed certificates for cluster TLS, made in-process (no openssl needed).</summary>
internal static class TestCertificate
{
    /// <summary>
    /// Writes a PKCS#12 file at <paramref name="path"/> with a new certificate named
    /// <paramref name="name"/> and its private key, usable by a TLS server and client, valid for a day.
    /// </summary>
    public static string Create(string path, string name, string password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")],
            critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }
}
