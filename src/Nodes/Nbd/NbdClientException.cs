using Nodes.Drivers;
using static Nodes.Nbd.NbdProtocol;

namespace Nodes.Nbd;

/// <summary>
/// An NBD request the server refused (<see cref="Error"/> is the NBD error number it replied with),
/// or a connection that failed: a handshake refused, bytes the protocol does not allow, a closed socket.
/// </summary>
public sealed class NbdClientException(string message, NbdFailure failure, uint error = 0, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>What failed, and so whether a new connection or a resend may help.</summary>
    public NbdFailure Failure { get; } = failure;

    /// <summary>The NBD error of a refused request (EIO = 5, ...); 0 when the connection itself failed.</summary>
    public uint Error { get; } = error;

    /// <summary>
    /// The errno a refused request fails with in the graph (NBD's numbers are Linux's); one
    /// outside our list, or a failed connection, is EIO.
    /// </summary>
    public Errno Errno => Error is > 0 and <= int.MaxValue && Enum.IsDefined((Errno)Error) ? (Errno)Error : Errno.EIO;

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
