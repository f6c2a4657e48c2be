using System.Collections.Concurrent;

namespace Nodes.Tls;

/// <summary>
/// A host's <c>tls-creds-x509</c> objects by id (from <c>--object</c> and QMP <c>object-add</c>),
/// where the NBD server and the <c>nbd</c> driver find the ones their <c>tls-creds</c> names.
/// As in QEMU, a user of an object keeps it: deleting it only stops new lookups.
/// </summary>
public sealed class TlsCredsRegistry
{
    private readonly ConcurrentDictionary<string, TlsCredsX509> _creds = new(StringComparer.Ordinal);

    public bool Contains(string id) => _creds.ContainsKey(id);

    /// <summary>Adds <paramref name="creds"/>; an id already taken is refused in QEMU's words.</summary>
    public void Add(TlsCredsX509 creds)
    {
        ArgumentNullException.ThrowIfNull(creds);
        if (!_creds.TryAdd(creds.Id, creds))
        {
            throw new ArgumentException($"attempt to add duplicate property '{creds.Id}' to object (type 'container')");
        }
    }

    public bool Remove(string id) => _creds.TryRemove(id, out _);

    /// <summary>The credentials <paramref name="id"/> names, for <paramref name="endpoint"/>; throws <see cref="ArgumentException"/> in QEMU's words.</summary>
    public TlsCredsX509 Get(string id, TlsEndpoint endpoint)
    {
        if (!_creds.TryGetValue(id, out var creds))
        {
            throw new ArgumentException($"No TLS credentials with id '{id}'");
        }
        return creds.Endpoint == endpoint
            ? creds
            : throw new ArgumentException($"Expected TLS credentials for a {(endpoint == TlsEndpoint.Server ? "server" : "client")} endpoint");
    }
}
