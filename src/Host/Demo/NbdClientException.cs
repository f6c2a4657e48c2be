using static Host.Nbd.NbdProtocol;

namespace Host.Demo;

/// <summary>
/// An NBD request the server refused (<see cref="Error"/> is the NBD error number it replied with),
/// or a connection that failed: a handshake refused, bytes the protocol does not allow, a closed socket.
/// </summary>
public sealed class NbdClientException(string message, uint error = 0, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The NBD error of a refused request (EIO = 5, ...); 0 when the connection itself failed.</summary>
    public uint Error { get; } = error;

    /// <summary>The errno name of an NBD error number, as the protocol's list spells it.</summary>
    public static string ErrorName(uint error) => error switch
    {
        EPerm => "EPERM",
        EIo => "EIO",
        ENoMem => "ENOMEM",
        EInval => "EINVAL",
        ENoSpc => "ENOSPC",
        EOverflow => "EOVERFLOW",
        ENotSup => "ENOTSUP",
        EShutdown => "ESHUTDOWN",
        _ => $"error {error}",
    };
}
