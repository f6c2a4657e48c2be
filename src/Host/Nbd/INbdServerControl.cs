namespace Host.Nbd;

/// <summary>
/// What QMP needs of the host's NBD server (<c>nbd-server-start</c> / <c>nbd-server-stop</c>).
/// The server serves the graph's exports by name; QMP adds and removes exports through the
/// graph's owner, so this contract is about the listening socket and the clients attached to an
/// export (<c>block-export-del</c>'s modes). Failures throw with a
/// message fit to show the user as a <c>GenericError</c> (e.g. "NBD server already running").
/// </summary>
public interface INbdServerControl
{
    /// <summary>Where the server listens, while it runs; null otherwise.</summary>
    System.Net.EndPoint? Endpoint { get; }

    /// <summary>
    /// Listens on <paramref name="address"/>; with <paramref name="tlsCreds"/> (a server endpoint's)
    /// clients must start TLS, and each must choose an export within <paramref name="handshakeLimit"/>.
    /// </summary>
    Task StartAsync(NbdServerAddress address, Nodes.Tls.TlsCredsX509? tlsCreds, NbdHandshakeLimit handshakeLimit, CancellationToken cancellationToken);

    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>How many clients are in transmission on export <paramref name="exportId"/>.</summary>
    int ConnectionsTo(string exportId);

    /// <summary>Closes the connections on export <paramref name="exportId"/>; completes when they are gone.</summary>
    Task DisconnectAsync(string exportId);
}
