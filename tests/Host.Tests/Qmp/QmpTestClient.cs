using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Host.Tests.Qmp;

/// <summary>
/// A raw QMP client over a Unix socket: writes lines, reads one JSON message per line, keeps
/// events aside so a command's reply is the next non-event message. Every wait is bounded.
/// </summary>
public sealed class QmpTestClient : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private QmpTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary>Events seen so far while waiting for replies.</summary>
    public List<JsonObject> Events { get; } = [];

    /// <summary>Connects without reading the greeting.</summary>
    public static async Task<QmpTestClient> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(s_timeout);
        return new QmpTestClient(socket);
    }

    /// <summary>Connects, reads the greeting and negotiates capabilities.</summary>
    public static async Task<QmpTestClient> ConnectNegotiatedAsync(string path)
    {
        var client = await ConnectAsync(path);
        await client.ReadAsync();
        var reply = await client.ExecuteAsync("qmp_capabilities");
        Assert.NotNull(reply["return"]);
        return client;
    }

    public async Task SendLineAsync(string line)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).AsTask().WaitAsync(s_timeout);
    }

    /// <summary>The next message, event or not; null at end of stream.</summary>
    public async Task<JsonObject?> ReadAsync()
    {
        var line = await _reader.ReadLineAsync().WaitAsync(s_timeout);
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>The next reply (return or error), setting events aside.</summary>
    public async Task<JsonObject> ReadReplyAsync()
    {
        while (true)
        {
            var message = await ReadAsync() ?? throw new EndOfStreamException("The QMP server closed the session before replying.");
            if (message.ContainsKey("event"))
            {
                Events.Add(message);
                continue;
            }
            return message;
        }
    }

    /// <summary>The next event named <paramref name="name"/>, from those already seen or still to come.</summary>
    public async Task<JsonObject> WaitForEventAsync(string name)
    {
        while (true)
        {
            var seen = Events.FirstOrDefault(e => (string?)e["event"] == name);
            if (seen is not null)
            {
                Events.Remove(seen);
                return seen;
            }
            var message = await ReadAsync() ?? throw new EndOfStreamException($"The QMP server closed the session before sending {name}.");
            if (message.ContainsKey("event"))
            {
                Events.Add(message);
            }
        }
    }

    public async Task<JsonObject> ExecuteAsync(string command, JsonObject? arguments = null, JsonNode? id = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }
        if (id is not null)
        {
            request["id"] = id;
        }
        await SendLineAsync(request.ToJsonString());
        return await ReadReplyAsync();
    }

    /// <summary>Runs a command that must succeed and returns its <c>return</c> value.</summary>
    public async Task<JsonNode> ReturnOfAsync(string command, JsonObject? arguments = null)
    {
        var reply = await ExecuteAsync(command, arguments);
        return reply["return"] ?? throw new Xunit.Sdk.XunitException($"{command} failed: {reply.ToJsonString()}");
    }

    /// <summary>Runs a command that must fail and returns its error's class and desc.</summary>
    public async Task<(string Class, string Desc)> ErrorOfAsync(string command, JsonObject? arguments = null)
    {
        var reply = await ExecuteAsync(command, arguments);
        var error = reply["error"] ?? throw new Xunit.Sdk.XunitException($"{command} succeeded: {reply.ToJsonString()}");
        return ((string)error["class"]!, (string)error["desc"]!);
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }
}
