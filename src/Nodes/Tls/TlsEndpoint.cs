namespace Nodes.Tls;

/// <summary>Which end of a TLS session credentials are for (QEMU's <c>QCryptoTLSCredsEndpoint</c>; <c>client</c> is its default).</summary>
public enum TlsEndpoint
{
    Client,
    Server,
}
