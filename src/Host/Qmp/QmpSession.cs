using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Host.Qmp;

/// <summary>
/// One QMP client: greets, waits for <c>qmp_capabilities</c>, then runs its commands one at a
/// time in arrival order (pipelined requests are answered in order, as QEMU does without OOB).
/// A bad request gets an error and the session goes on; only an unreadable stream (a request over
/// <see cref="MaxRequestBytes"/>, the client gone) or <c>quit</c> ends it. A client that hangs up
/// right after writing (<c>echo '...' | nc</c>) still has the requests it sent carried out.
/// </summary>
public sealed class QmpSession : IAsyncDisposable
{
    /// <summary>Bounds the memory one client can hold with a request that never ends.</summary>
    public const int MaxRequestBytes = 1 << 20;

    private static readonly byte[] s_newline = "\n"u8.ToArray();

    // QEMU writes "node-name='x'", not "node-name=\u0027x\u0027": replies are read by people too.
    private static readonly JsonSerializerOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly QmpCommands _commands;
    private readonly QmpServer _server;
    // Replies come from this session's loop, events from whichever thread raised them: one writer at a time.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _negotiated;
    private bool _clientGone; // guarded by _writeLock

    internal QmpSession(Socket socket, QmpCommands commands, QmpServer server)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _commands = commands;
        _server = server;
    }

    internal async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(Greeting(), cancellationToken).ConfigureAwait(false);
            var buffer = new byte[4096];
            var framer = new QmpRequestFramer();
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }
                framer.Append(buffer.AsSpan(0, read));
                while (framer.TryNext(out var request, out var error))
                {
                    if (error is not null)
                    {
                        await SendAsync(ErrorReply(QmpError.GenericError($"JSON parse error, {error}"), id: null), cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    using (request)
                    {
                        if (!await HandleRequestAsync(request!.RootElement, cancellationToken).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                }
                if (framer.Overflowed)
                {
                    // No way to find where the next request starts: tell the client why and hang up.
                    await SendAsync(ErrorReply(QmpError.GenericError($"JSON parse error, request longer than {MaxRequestBytes} bytes"), id: null), cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server stops: nothing to answer to.
        }
    }

    /// <summary>
    /// Sends an event if this session negotiated (QEMU's monitor holds events until then too);
    /// a client gone meanwhile is not the emitter's problem.
    /// </summary>
    internal async Task SendEventAsync(JsonObject message)
    {
        if (!_negotiated)
        {
            return;
        }
        try
        {
            await SendAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile.
        }
    }

    /// <returns>false when the session must end (<c>quit</c>).</returns>
    private async Task<bool> HandleRequestAsync(JsonElement root, CancellationToken cancellationToken)
    {
        // QEMU echoes the id even when the rest of the request is wrong.
        var id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var idElement) ? JsonNode.Parse(idElement.GetRawText()) : null;
        try
        {
            var (name, arguments) = ParseRequest(root);
            switch (name)
            {
                case "qmp_capabilities":
                    if (_negotiated)
                    {
                        throw new QmpError(QmpError.CommandNotFound, "Capabilities negotiation is already complete, command ignored");
                    }
                    // QEMU's only capability is 'oob', which this monitor does not offer.
                    QmpArguments.From(arguments).EnsureNoneLeft();
                    _negotiated = true;
                    await SendAsync(Reply(new JsonObject(), id), cancellationToken).ConfigureAwait(false);
                    return true;
                case var _ when !_negotiated:
                    throw new QmpError(QmpError.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
                case "quit":
                    QmpArguments.From(arguments).EnsureNoneLeft();
                    await SendAsync(Reply(new JsonObject(), id), cancellationToken).ConfigureAwait(false);
                    await _server.QuitAsync().ConfigureAwait(false);
                    return false;
                default:
                    var result = await _commands.ExecuteAsync(name, QmpArguments.From(arguments), cancellationToken).ConfigureAwait(false);
                    await SendAsync(Reply(result, id), cancellationToken).ConfigureAwait(false);
                    return true;
            }
        }
        catch (QmpError e)
        {
            await SendAsync(ErrorReply(e, id), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not (OperationCanceledException or IOException or SocketException or ObjectDisposedException))
        {
            // A fault below one command must not cost the client its session (DESIGN §11).
            await SendAsync(ErrorReply(QmpError.GenericError(e.Message), id), cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Checks the request's envelope with QEMU's messages (qmp_dispatch).</summary>
    private static (string Name, JsonElement? Arguments) ParseRequest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw QmpError.GenericError("QMP input must be a JSON object");
        }
        string? name = null;
        JsonElement? arguments = null;
        foreach (var member in root.EnumerateObject())
        {
            switch (member.Name)
            {
                case "execute":
                    name = member.Value.ValueKind == JsonValueKind.String
                        ? member.Value.GetString()
                        : throw QmpError.GenericError("QMP input member 'execute' must be a string");
                    break;
                case "arguments":
                    arguments = member.Value.ValueKind == JsonValueKind.Object
                        ? member.Value
                        : throw QmpError.GenericError("QMP input member 'arguments' must be an object");
                    break;
                case "id":
                    break;
                default:
                    throw QmpError.GenericError($"QMP input member '{member.Name}' is unexpected");
            }
        }
        return (name ?? throw QmpError.GenericError("QMP input lacks member 'execute'"), arguments);
    }

    private static JsonObject Greeting() => new()
    {
        ["QMP"] = new JsonObject
        {
            ["version"] = QmpCommands.Version(),
            ["capabilities"] = new JsonArray(),
        },
    };

    private static JsonObject Reply(JsonNode result, JsonNode? id)
    {
        var reply = new JsonObject { ["return"] = result };
        if (id is not null)
        {
            reply["id"] = id;
        }
        return reply;
    }

    private static JsonObject ErrorReply(QmpError error, JsonNode? id)
    {
        var reply = new JsonObject { ["error"] = new JsonObject { ["class"] = error.Class, ["desc"] = error.Message } };
        if (id is not null)
        {
            reply["id"] = id;
        }
        return reply;
    }

    /// <summary>
    /// Writes one message. A client that hung up gets nothing more, but what it already sent is
    /// still carried out: the read loop goes on with the requests it has and ends at the stream's end.
    /// </summary>
    private async Task SendAsync(JsonObject message, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString(s_json));
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_clientGone)
            {
                return;
            }
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _stream.WriteAsync(s_newline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            _clientGone = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Shutdown first so a blocked read in RunAsync returns at once.
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already disconnected, or disposed by the server's stop and by the session's own end.
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
