using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Host.Demo.Cluster;

/// <summary>
/// The cluster demo's QMP client, over a host's Unix socket: it reads the greeting, negotiates
/// capabilities, then runs one command at a time, passing events over. Every wait is bounded by
/// the timeout it was connected with; after a timeout the session is of no further use.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly TimeSpan _timeout;

    private QmpClient(Socket socket, TimeSpan timeout)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        _timeout = timeout;
    }

    /// <summary>A session with the monitor on <paramref name="socketPath"/>, capabilities negotiated.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        QmpClient? client = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).WaitAsync(timeout);
            client = new QmpClient(socket, timeout);
            await client.ReadMessageAsync();
            await client.ExecuteAsync("qmp_capabilities");
            return client;
        }
        catch
        {
            if (client is null)
            {
                socket.Dispose();
            }
            else
            {
                await client.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> and returns its <c>return</c> value. An error reply throws a
    /// <see cref="QmpCommandException"/> with its desc; no reply within the timeout, a
    /// <see cref="TimeoutException"/>.
    /// </summary>
    public async Task<JsonNode> ExecuteAsync(string command, JsonObject? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n")).AsTask().WaitAsync(_timeout);
        while (true)
        {
            var message = await ReadMessageAsync();
            if (message.ContainsKey("event"))
            {
                continue;
            }
            if (message["error"] is { } error)
            {
                throw new QmpCommandException(command, (string?)error["desc"] ?? error.ToJsonString());
            }
            return message["return"] ?? throw new QmpCommandException(command, $"a reply with neither return nor error: {message.ToJsonString()}");
        }
    }

    private async Task<JsonObject> ReadMessageAsync()
    {
        var line = await _reader.ReadLineAsync().WaitAsync(_timeout)
            ?? throw new IOException("The QMP monitor closed the session.");
        return JsonNode.Parse(line) as JsonObject ?? throw new IOException($"The QMP monitor sent something other than a JSON object: {line}");
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }
}
