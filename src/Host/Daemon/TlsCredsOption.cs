using Nodes.Tls;

namespace Host.Daemon;

/// <summary>
/// <c>--object tls-creds-x509,id=tls0,dir=DIR,endpoint=server[,verify-peer=on|off][,sanity-check=on|off]</c>:
/// QEMU's X.509 credentials, loaded when the host starts (<see cref="Load"/>).
/// </summary>
/// <param name="Id">The object's id, which <c>tls-creds</c> names.</param>
/// <param name="Dir">The directory of PEM files (<c>dir</c>); null when not given, which loading refuses.</param>
/// <param name="Endpoint"><c>endpoint</c>: server or client (QEMU's default).</param>
/// <param name="VerifyPeer"><c>verify-peer</c>, on by default.</param>
/// <param name="SanityCheck"><c>sanity-check</c>, on by default: our own certificate must chain to the CA.</param>
/// <param name="Option">The option as given, which errors repeat as qemu-storage-daemon's do.</param>
public sealed record TlsCredsOption(string Id, string? Dir, TlsEndpoint Endpoint, bool VerifyPeer, bool SanityCheck, string Option)
{
    /// <summary>Properties QEMU's object has that this one does not honour; refused rather than ignored.</summary>
    private static readonly string[] Unsupported = ["priority", "passwordid"];

    /// <param name="value">The whole <c>--object</c> value, <c>tls-creds-x509,...</c>.</param>
    /// <param name="properties">Its properties after the type.</param>
    public static TlsCredsOption Parse(string value, IReadOnlyDictionary<string, string> properties)
    {
        var id = properties.GetValueOrDefault("id") ?? throw new ArgumentException("--object: Parameter 'id' is missing");
        var what = $"--object {value}";
        if (Unsupported.FirstOrDefault(properties.ContainsKey) is { } unsupported)
        {
            throw new ArgumentException($"{what}: Property '{unsupported}' is not supported (.NET's TLS 1.2/1.3 defaults apply, and keys are unencrypted PEM)");
        }
        if (properties.Keys.FirstOrDefault(k => k is not ("id" or "dir" or "endpoint" or "verify-peer" or "sanity-check")) is { } unexpected)
        {
            throw new ArgumentException($"{what}: Property '{unexpected}' not found");
        }
        var endpoint = properties.GetValueOrDefault("endpoint", "client") switch
        {
            "client" => TlsEndpoint.Client,
            "server" => TlsEndpoint.Server,
            var other => throw new ArgumentException($"{what}: Parameter 'endpoint' does not accept value '{other}'"),
        };
        return new TlsCredsOption(id, properties.GetValueOrDefault("dir"), endpoint, Bool(properties, "verify-peer", what), Bool(properties, "sanity-check", what), what);
    }

    /// <summary>Reads the files; a missing or bad one is one line naming the option and the file, in QEMU's words.</summary>
    public TlsCredsX509 Load()
    {
        try
        {
            return TlsCredsX509.Load(Id, Dir, Endpoint, VerifyPeer, SanityCheck);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Option}: {e.Message}", e);
        }
    }

    /// <summary>QEMU's default for both booleans is on.</summary>
    private static bool Bool(IReadOnlyDictionary<string, string> properties, string key, string what) => properties.GetValueOrDefault(key, "on") switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        var other => throw new ArgumentException($"{what}: Parameter '{key}' expects 'on' or 'off', got '{other}'"),
    };
}
