namespace Nodes.Nbd;

/// <summary>What went wrong with an NBD request or connection, which decides what may be tried again.</summary>
public enum NbdFailure
{
    /// <summary>The server answered the request with an error; the connection goes on.</summary>
    Refused,

    /// <summary>
    /// The connection could not be made, or ended (refused, closed, reset, the export not there
    /// yet): a new connection may succeed, and a request that got no reply may be sent again.
    /// </summary>
    ConnectionLost,

    /// <summary>The server sent bytes the protocol does not allow; the connection was dropped and there is no point in trying again.</summary>
    ProtocolViolation,
}
