using Microsoft.Extensions.Logging;

namespace Host.Nbd;

/// <summary>The NBD server's log messages.</summary>
internal static partial class NbdLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "NBD server listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 401, Level = LogLevel.Debug, Message = "NBD client {Client} connected")]
    public static partial void Connected(ILogger logger, string client);

    [LoggerMessage(EventId = 402, Level = LogLevel.Debug, Message = "NBD client {Client} disconnected: {Reason}")]
    public static partial void Disconnected(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "NBD client {Client} sent bad bytes ({Reason}); its connection is closed, the others go on")]
    public static partial void ProtocolViolation(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "NBD request {Command} on export {Export} failed unexpectedly; the client gets EIO")]
    public static partial void RequestFailed(ILogger logger, ushort command, string export, Exception cause);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Accepting NBD connections failed; the listener goes on")]
    public static partial void AcceptFailed(ILogger logger, Exception cause);

    [LoggerMessage(EventId = 406, Level = LogLevel.Debug, Message = "NBD client {Client} started TLS ({Protocol}, client certificate: {Certificate})")]
    public static partial void TlsStarted(ILogger logger, string client, string protocol, string certificate);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "NBD client {Client} failed the TLS handshake ({Reason}); its connection is closed")]
    public static partial void TlsFailed(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "NBD client {Client} did not finish the handshake within {Seconds} s (handshake-max-seconds); its connection is closed")]
    public static partial void HandshakeTimedOut(ILogger logger, string client, uint seconds);

    [LoggerMessage(EventId = 409, Level = LogLevel.Error, Message = "NBD client {Client}: its connection failed unexpectedly and is closed; the server and the other connections go on")]
    public static partial void ConnectionFailed(ILogger logger, string client, Exception cause);
}
