using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Actors.GraphLock;
using Actors.IoThreads;
using Akka.Actor;
using Host.Cluster;
using Host.Hosting;
using Host.Nbd;
using Nodes.Commands;
using Nodes.Graph;
using Nodes.Runtime;
using Nodes.Tls;

namespace Host.Qmp;

/// <summary>
/// The QMP commands past negotiation, with QEMU's names, argument names and error classes.
/// Every graph change is a command to the host's graph owner (never a direct edit), and its
/// <see cref="GraphException"/> becomes the <c>GenericError</c> desc word for word.
/// </summary>
internal sealed class QmpCommands
{
    /// <summary>Long enough for a write section queued behind others; a stuck graph still answers the client.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>How long x-query-cluster waits for another host to tell its name; one that does not is shown by its address.</summary>
    private static readonly TimeSpan s_hostNameTimeout = TimeSpan.FromSeconds(2);

    private readonly StorageHost _host;
    private readonly INbdServerControl? _nbd;
    private readonly QmpServer _server;
    private readonly Dictionary<string, Func<QmpArguments, CancellationToken, Task<JsonNode>>> _commands;

    public QmpCommands(StorageHost host, INbdServerControl? nbd, QmpServer server)
    {
        _host = host;
        _nbd = nbd;
        _server = server;
        _commands = new(StringComparer.Ordinal)
        {
            ["query-version"] = (a, _) => Done(a, Version()),
            ["query-commands"] = (a, _) => Done(a, QueryCommands()),
            ["blockdev-add"] = BlockdevAddAsync,
            ["blockdev-del"] = (a, _) => GraphCommandAsync(new DeleteNode(Take(a, x => x.RequiredString("node-name")))),
            ["query-named-block-nodes"] = QueryNamedBlockNodesAsync,
            ["object-add"] = ObjectAddAsync,
            ["object-del"] = ObjectDelAsync,
            ["x-blockdev-set-iothread"] = SetIoThreadAsync,
            ["x-blockdev-change"] = BlockdevChangeAsync,
            ["blockdev-reopen"] = BlockdevReopenAsync,
            ["block-export-add"] = BlockExportAddAsync,
            ["block-export-del"] = BlockExportDelAsync,
            ["query-block-exports"] = QueryBlockExportsAsync,
            ["nbd-server-start"] = NbdServerStartAsync,
            ["nbd-server-stop"] = NbdServerStopAsync,
            ["x-query-graph-lock"] = QueryGraphLockAsync,
            ["x-query-cluster"] = QueryClusterAsync,
        };
    }

    /// <summary>The version this monitor reports: the QEMU whose QMP it speaks.</summary>
    public static JsonObject Version() => new()
    {
        ["qemu"] = new JsonObject { ["micro"] = 0, ["minor"] = 2, ["major"] = 7 },
        ["package"] = "actors",
    };

    public Task<JsonNode> ExecuteAsync(string name, QmpArguments arguments, CancellationToken cancellationToken) =>
        _commands.TryGetValue(name, out var command)
            ? command(arguments, cancellationToken)
            : throw new QmpError(QmpError.CommandNotFound, $"The command {name} has not been found");

    private JsonArray QueryCommands() =>
        [.. new[] { "qmp_capabilities", "quit" }.Concat(_commands.Keys).Order(StringComparer.Ordinal).Select(n => new JsonObject { ["name"] = n })];

    private async Task<JsonNode> BlockdevAddAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var driver = arguments.RequiredString("driver");
        var node = arguments.RequiredString("node-name");
        // Ours: the host whose disk backend holds the node's image and runs it (x-host), by default
        // its children's host, else this one.
        var requestedHost = arguments.OptionalString("x-host");
        var info = _host.Runtime.Drivers.Info(driver) ?? throw QmpError.GenericError($"Parameter 'driver' does not accept value '{driver}'");
        var children = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var role in info.ChildRoles)
        {
            // QEMU's "backing": null asks for no backing: an optional child left out says the same here.
            if (arguments.Optional(role) is not { } child || child.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            children[role] = child.ValueKind switch
            {
                JsonValueKind.String => child.GetString()!,
                JsonValueKind.Object => throw QmpError.GenericError($"A nested definition of '{role}' is not supported: add that node first and give its node-name"),
                _ => throw arguments.InvalidType(role, "BlockdevRef"),
            };
        }
        var options = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in arguments.TakeRest())
        {
            Flatten(arguments, key, value, options);
        }
        // QEMU has no iothread argument here: a node runs where its child runs, a leaf on its host's
        // first IoThread (another host's is the graph's owner to pick: "" asks it to).
        var graph = await QueryGraphAsync().ConfigureAwait(false);
        var placed = children.Values.Select(graph.Find).FirstOrDefault(c => c is not null);
        var host = requestedHost ?? placed?.Host ?? _host.Runtime.Host;
        var ioThread = placed?.IoThread ?? (host == _host.Runtime.Host ? DefaultIoThread() : "");
        return await GraphCommandAsync(new AddNode(node, driver, options.ToImmutable(), host, ioThread, children.ToImmutable())).ConfigureAwait(false);
    }

    /// <summary>
    /// Driver options reach AddNode as QEMU's dotted key=value strings (<c>limits.iops-total=100</c>).
    /// The options QAPI types as integer or boolean are checked here, so a client gets QEMU's message.
    /// </summary>
    private static void Flatten(QmpArguments arguments, string key, JsonElement value, ImmutableSortedDictionary<string, string>.Builder options)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in value.EnumerateObject())
                {
                    Flatten(arguments, $"{key}.{member.Name}", member.Value, options);
                }
                break;
            case JsonValueKind.String when IntegerOptions.Contains(LastPart(key)):
                throw arguments.InvalidType(key, "integer");
            case JsonValueKind.String when BooleanOptions.Contains(LastPart(key)):
                throw arguments.InvalidType(key, "boolean");
            case JsonValueKind.String:
                options[key] = value.GetString()!;
                break;
            case JsonValueKind.Number when BooleanOptions.Contains(LastPart(key)):
                throw arguments.InvalidType(key, "boolean");
            case JsonValueKind.Number when StringOptions.Contains(LastPart(key)):
                throw arguments.InvalidType(key, "string");
            case JsonValueKind.Number:
                options[key] = value.GetRawText();
                break;
            case JsonValueKind.True or JsonValueKind.False when IntegerOptions.Contains(LastPart(key)):
                throw arguments.InvalidType(key, "integer");
            case JsonValueKind.True:
                options[key] = "on";
                break;
            case JsonValueKind.False:
                options[key] = "off";
                break;
            default:
                throw QmpError.GenericError($"Parameter '{key}' must be a scalar or an object here");
        }
    }

    private static string LastPart(string key) => key[(key.LastIndexOf('.') + 1)..];

    /// <summary>Options of our built-in drivers that QEMU's schema types as integers.</summary>
    private static readonly FrozenSet<string> IntegerOptions = FrozenSet.Create(StringComparer.Ordinal, "size", "latency-ns", "offset", "align", "max-transfer", "opt-write-zero", "max-write-zero", "opt-discard", "max-discard", "reconnect-delay", "open-timeout");

    /// <summary>Options QEMU's schema types as strings although they look like numbers (a socket address's <c>port</c>).</summary>
    private static readonly FrozenSet<string> StringOptions = FrozenSet.Create(StringComparer.Ordinal, "port");

    /// <summary>The properties of QEMU's iothread object (IothreadProperties in qapi/qom.json).</summary>
    private static readonly string[] IoThreadProperties = ["poll-max-ns", "poll-grow", "poll-shrink", "aio-max-batch", "thread-pool-min", "thread-pool-max"];

    /// <summary>Options of our built-in drivers that QEMU's schema types as booleans.</summary>
    private static readonly FrozenSet<string> BooleanOptions = FrozenSet.Create(StringComparer.Ordinal, "read-only", "auto-read-only", "read-zeroes", "force-share");

    private async Task<JsonNode> QueryNamedBlockNodesAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        // 'flat' only trims backing chains QEMU would nest; this answer never nests them.
        arguments.OptionalBool("flat", false);
        arguments.EnsureNoneLeft();
        var graph = await QueryGraphAsync().ConfigureAwait(false);
        return new JsonArray([.. graph.Nodes.Select(n => (JsonNode)NodeInfo(graph, n))]);
    }

    /// <summary>QEMU's BlockDeviceInfo as far as the graph knows it, plus where the node runs.</summary>
    private JsonObject NodeInfo(GraphSnapshot graph, NodeSnapshot node)
    {
        var live = _host.Runtime.Find(node.Name);
        var options = live?.Settings.Options ?? ImmutableSortedDictionary<string, string>.Empty;
        var readOnly = options.GetValueOrDefault("read-only") is "on" or "true";
        var info = new JsonObject
        {
            ["node-name"] = node.Name,
            ["drv"] = node.Driver,
            ["file"] = FileName(graph, node),
            ["ro"] = readOnly,
            ["encrypted"] = false,
            ["detect_zeroes"] = "off",
            ["iothread"] = node.IoThread,
            // Not QEMU's: the host the node lives on (its image is on that host's disk).
            ["x-host"] = node.Host,
            ["children"] = new JsonArray([.. node.Children.Select(c => (JsonNode)new JsonObject { ["child"] = c.Key, ["node-name"] = c.Value })]),
        };
        if (live is not null)
        {
            info["image"] = new JsonObject { ["filename"] = FileName(graph, node), ["format"] = node.Driver, ["virtual-size"] = live.Length };
        }
        if (node.Unavailable is { } reason)
        {
            // Not QEMU's: a node recovery could not reopen stays listed, with why, until blockdev-del.
            info["x-unavailable"] = reason;
        }
        return info;
    }

    /// <summary>
    /// QEMU's bs->filename: a format or filter shows its file child's, a protocol node its own
    /// <c>filename</c> option (relative to the images dir), else <c>driver://</c> as null-co does.
    /// </summary>
    private string FileName(GraphSnapshot graph, NodeSnapshot node)
    {
        // The graph refuses cycles, so this walk down file children ends.
        while (node.Children.TryGetValue(ChildRole.File, out var child) && graph.Find(child) is { } file)
        {
            node = file;
        }
        return _host.Runtime.Find(node.Name)?.Settings.Options.GetValueOrDefault("filename") ?? $"{node.Driver}://";
    }

    private async Task<JsonNode> ObjectAddAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var type = arguments.RequiredString("qom-type");
        var id = arguments.RequiredString("id");
        if (type is not ("iothread" or "tls-creds-x509"))
        {
            throw QmpError.GenericError($"Parameter 'qom-type' does not accept value '{type}'");
        }
        if (!IsIdentifier(id))
        {
            throw QmpError.GenericError("Parameter 'id' expects an identifier");
        }
        if (type == "tls-creds-x509")
        {
            AddTlsCreds(arguments, id);
            return new JsonObject();
        }
        // QEMU's iothread properties tune polling and AIO batching, which an actor loop does not
        // do; management tools (libvirt) send them, so they are type-checked and have no effect.
        foreach (var property in IoThreadProperties)
        {
            arguments.OptionalInteger(property);
        }
        arguments.EnsureNoneLeft();
        RefuseDuplicateObject(id);
        await _host.AddIoThreadAsync(id).WaitAsync(s_timeout, cancellationToken).ConfigureAwait(false);
        return new JsonObject();
    }

    /// <summary>
    /// QEMU's tls-creds-x509 (<c>dir</c>, <c>endpoint</c>, <c>verify-peer</c>, <c>sanity-check</c>):
    /// loaded now, so a bad directory is this command's error, naming the file.
    /// </summary>
    private void AddTlsCreds(QmpArguments arguments, string id)
    {
        var dir = arguments.OptionalString("dir");
        var endpoint = (arguments.OptionalString("endpoint") ?? "client") switch
        {
            "client" => TlsEndpoint.Client,
            "server" => TlsEndpoint.Server,
            var other => throw QmpError.GenericError($"Parameter 'endpoint' does not accept value '{other}'"),
        };
        var verifyPeer = arguments.OptionalBool("verify-peer", true);
        var sanityCheck = arguments.OptionalBool("sanity-check", true);
        if (new[] { "priority", "passwordid" }.FirstOrDefault(p => arguments.Optional(p) is not null) is { } unsupported)
        {
            throw QmpError.GenericError($"Property '{unsupported}' is not supported (.NET's TLS 1.2/1.3 defaults apply, and keys are unencrypted PEM)");
        }
        arguments.EnsureNoneLeft();
        RefuseDuplicateObject(id);
        try
        {
            _host.Options.TlsCreds.Add(TlsCredsX509.Load(id, dir, endpoint, verifyPeer, sanityCheck));
        }
        catch (ArgumentException e)
        {
            throw QmpError.GenericError(e.Message);
        }
    }

    /// <summary>IoThreads and credentials share QEMU's /objects namespace: one id, one object.</summary>
    private void RefuseDuplicateObject(string id)
    {
        if (_host.Runtime.HasIoThread(id) || _host.Options.TlsCreds.Contains(id))
        {
            throw QmpError.GenericError($"attempt to add duplicate property '{id}' to object (type 'container')");
        }
    }

    private async Task<JsonNode> ObjectDelAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var id = Take(arguments, a => a.RequiredString("id"));
        // As in QEMU, a server or node using the credentials keeps them; only new users miss them.
        if (_host.Options.TlsCreds.Remove(id))
        {
            return new JsonObject();
        }
        if (!IsIdentifier(id) || !_host.Runtime.HasIoThread(id))
        {
            throw QmpError.GenericError($"object '{id}' not found");
        }
        if (id == _host.Options.IoThreads.FirstOrDefault())
        {
            // New leaf nodes and 'iothread: null' land on the host's first IoThread: it must outlive them.
            throw QmpError.GenericError($"object '{id}' is in use, can not be deleted");
        }
        var graph = await QueryGraphAsync().ConfigureAwait(false);
        if (graph.Nodes.Any(n => n.IoThread == id && n.Host == _host.Runtime.Host))
        {
            throw QmpError.GenericError($"object '{id}' is in use, can not be deleted");
        }
        await RunAsync(async () =>
        {
            await _host.RemoveIoThreadAsync(id, s_timeout).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        return new JsonObject();
    }

    /// <summary>Where nodes go when nothing else says: the host's first IoThread (QEMU's main loop has that role).</summary>
    private string DefaultIoThread() =>
        _host.Options.IoThreads.FirstOrDefault() ?? throw QmpError.GenericError("This host has no IoThread to run nodes on");

    /// <summary>QEMU's id_wellformed: a letter, then letters, digits, '-', '.', '_' (also keeps ids valid actor names).</summary>
    private static bool IsIdentifier(string id) =>
        id.Length > 0 && char.IsAsciiLetter(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_');

    private Task<JsonNode> SetIoThreadAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var node = arguments.RequiredString("node-name");
        var ioThread = arguments.Optional("iothread") switch
        {
            { ValueKind: JsonValueKind.String } name => name.GetString()!,
            // QEMU's null moves the node back to the main loop; here that is the host's first IoThread.
            { ValueKind: JsonValueKind.Null } => DefaultIoThread(),
            null => throw QmpError.GenericError("Parameter 'iothread' is missing"),
            _ => throw arguments.InvalidType("iothread", "StrOrNull"),
        };
        // QEMU's 'force' skips its check that no device uses the node: our exports follow the node.
        arguments.OptionalBool("force", false);
        arguments.EnsureNoneLeft();
        if (!_host.Runtime.HasIoThread(ioThread))
        {
            throw QmpError.GenericError($"Cannot find iothread {ioThread}");
        }
        return GraphCommandAsync(new MoveNode(node, ioThread));
    }

    /// <summary>
    /// QEMU's x-blockdev-change: <c>child</c> names an edge of <c>parent</c> to remove, or
    /// <c>node</c> a node to add as the first free child role of the parent's driver.
    /// </summary>
    private async Task<JsonNode> BlockdevChangeAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var parent = arguments.RequiredString("parent");
        var child = arguments.OptionalString("child");
        var node = arguments.OptionalString("node");
        arguments.EnsureNoneLeft();
        switch (child, node)
        {
            case (not null, not null):
                throw QmpError.GenericError("The parameters child and node are in conflict");
            case (not null, null):
                return await GraphCommandAsync(new DetachChild(parent, child)).ConfigureAwait(false);
            case (null, not null):
                var graph = await QueryGraphAsync().ConfigureAwait(false);
                var p = graph.Find(parent) ?? throw QmpError.GenericError($"Cannot find node name '{parent}'");
                var info = _host.Runtime.Drivers.Info(p.Driver) ?? throw QmpError.GenericError($"Unknown driver '{p.Driver}'");
                var role = info.ChildRoles.FirstOrDefault(r => !p.Children.ContainsKey(r))
                    ?? throw QmpError.GenericError($"Driver '{p.Driver}' of node '{parent}' has no free child role for '{node}'");
                return await GraphCommandAsync(new AttachChild(parent, role, node)).ConfigureAwait(false);
            default:
                throw QmpError.GenericError("Either child or node must be specified");
        }
    }

    /// <summary>
    /// QEMU's blockdev-reopen, for what a graph change needs of it: pointing a child of a node at
    /// another node (a filter inserted below it, or taken out), <c>null</c> removing it. One node
    /// and one child per call, so the change is one write section; the driver stays as it is, no
    /// other option can change, and a child left out is kept (QEMU resets what is left out).
    /// </summary>
    private async Task<JsonNode> BlockdevReopenAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var list = arguments.RequiredObjects("options");
        arguments.EnsureNoneLeft();
        if (list.Count != 1)
        {
            throw QmpError.GenericError($"blockdev-reopen here takes one node at a time, not {list.Count}");
        }
        var options = list[0];
        var name = options.RequiredString("node-name");
        var driver = options.RequiredString("driver");
        var graph = await QueryGraphAsync().ConfigureAwait(false);
        var node = graph.Find(name) ?? throw QmpError.GenericError($"Failed to find node with node-name='{name}'");
        if (driver != node.Driver)
        {
            throw QmpError.GenericError("Cannot change the option 'driver'");
        }
        var info = _host.Runtime.Drivers.Info(driver) ?? throw QmpError.GenericError($"Unknown driver '{driver}'");
        var changes = new List<IGraphCommand>();
        foreach (var role in info.ChildRoles)
        {
            var current = node.Children.GetValueOrDefault(role);
            IGraphCommand? change = options.Optional(role) switch
            {
                null => null,
                { ValueKind: JsonValueKind.Null } when current is null => null,
                { ValueKind: JsonValueKind.Null } => new DetachChild(name, role),
                { ValueKind: JsonValueKind.String } child when child.GetString() == current => null,
                { ValueKind: JsonValueKind.String } child when current is null => new AttachChild(name, role, child.GetString()!),
                { ValueKind: JsonValueKind.String } child => new ReplaceChild(name, role, child.GetString()!),
                _ => throw options.InvalidType(role, "BlockdevRefOrNull"),
            };
            if (change is not null)
            {
                changes.Add(change);
            }
        }
        if (options.TakeRest().FirstOrDefault() is { Key: { } option })
        {
            throw QmpError.GenericError($"Cannot change the option '{option}' (blockdev-reopen here changes children only)");
        }
        return changes.Count switch
        {
            0 => new JsonObject(),
            1 => await GraphCommandAsync(changes[0]).ConfigureAwait(false),
            _ => throw QmpError.GenericError("blockdev-reopen here changes one child at a time"),
        };
    }

    /// <summary>
    /// QEMU's block-export-add. The export is served by the NBD server of the host the node lives
    /// on; the answer (QEMU's is empty) says which, and where that server listens:
    /// <c>{"x-host": "h2", "x-nbd-server": "127.0.0.1:10810"}</c> (null when it runs none).
    /// </summary>
    private async Task<JsonNode> BlockExportAddAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var type = arguments.RequiredString("type");
        if (type != "nbd")
        {
            throw QmpError.GenericError($"Parameter 'type' does not accept value '{type}'");
        }
        var id = arguments.RequiredString("id");
        var node = arguments.RequiredString("node-name");
        // NBD's export name defaults to the node name, as in QEMU.
        var name = arguments.OptionalString("name") ?? node;
        var writable = arguments.OptionalBool("writable", false);
        arguments.EnsureNoneLeft();
        await GraphCommandAsync(new AddExport(id, node, name, writable)).ConfigureAwait(false);
        var host = (await QueryGraphAsync().ConfigureAwait(false)).Find(node)?.Host;
        var members = (await ClusterStatusAsync(cancellationToken).ConfigureAwait(false)).Members;
        return new JsonObject { ["x-host"] = host, ["x-nbd-server"] = members.FirstOrDefault(m => m.Host == host)?.NbdServer };
    }

    private async Task<JsonNode> BlockExportDelAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var id = arguments.RequiredString("id");
        var mode = arguments.OptionalString("mode") ?? "safe";
        if (mode is not ("safe" or "hard"))
        {
            throw QmpError.GenericError($"Parameter 'mode' does not accept value '{mode}'");
        }
        arguments.EnsureNoneLeft();
        if (mode == "safe" && _nbd?.ConnectionsTo(id) > 0)
        {
            throw QmpError.GenericError($"export '{id}' still in use");
        }
        // From its write section on, no request of the export is in flight and no new one finds it.
        var result = await GraphCommandAsync(new RemoveExport(id)).ConfigureAwait(false);
        if (mode == "hard" && _nbd is not null)
        {
            await _nbd.DisconnectAsync(id).WaitAsync(s_timeout, cancellationToken).ConfigureAwait(false);
        }
        // QEMU sends the event once the export is gone, its clients with it.
        await _server.EmitAsync("BLOCK_EXPORT_DELETED", new JsonObject { ["id"] = id }).ConfigureAwait(false);
        return result;
    }

    private async Task<JsonNode> QueryBlockExportsAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        arguments.EnsureNoneLeft();
        var graph = await QueryGraphAsync().ConfigureAwait(false);
        return new JsonArray([.. graph.Exports.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => (JsonNode)new JsonObject
        {
            ["type"] = "nbd",
            ["id"] = e.Id,
            ["node-name"] = e.Node,
            ["shutting-down"] = false,
            ["name"] = e.Name,
            ["writable"] = e.Writable,
        })]);
    }

    private async Task<JsonNode> NbdServerStartAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        var addr = arguments.RequiredObject("addr");
        var type = addr.RequiredString("type");
        // QEMU's nbd-server-start takes SocketAddressLegacy, the fields under "data"; the flat
        // SocketAddress form (qemu-storage-daemon's --nbd-server) is taken too.
        var fields = addr.Optional("data") is not null ? addr.RequiredObject("data") : addr;
        NbdServerAddress address = type switch
        {
            "unix" => new NbdServerAddress.Unix(fields.RequiredString("path")),
            "inet" => new NbdServerAddress.Inet(fields.RequiredString("host"), fields.RequiredString("port")),
            _ => throw QmpError.GenericError($"Parameter 'addr.type' does not accept value '{type}'"),
        };
        fields.EnsureNoneLeft();
        addr.EnsureNoneLeft();
        var tlsCredsId = arguments.OptionalString("tls-creds");
        NbdHandshakeLimit handshakeLimit;
        try
        {
            handshakeLimit = arguments.OptionalInteger("handshake-max-seconds") is { } seconds ? NbdHandshakeLimit.From(seconds) : NbdHandshakeLimit.Default;
        }
        catch (ArgumentException e)
        {
            throw QmpError.GenericError(e.Message);
        }
        if (arguments.Optional("tls-authz") is not null)
        {
            throw QmpError.GenericError("Parameter 'tls-authz' is not supported (verify-peer on the tls-creds-x509 object admits only clients with a certificate from its CA)");
        }
        arguments.EnsureNoneLeft();
        TlsCredsX509? tlsCreds = null;
        if (tlsCredsId is not null)
        {
            try
            {
                tlsCreds = _host.Options.TlsCreds.Get(tlsCredsId, TlsEndpoint.Server);
            }
            catch (ArgumentException e)
            {
                throw QmpError.GenericError(e.Message);
            }
        }
        if (address is NbdServerAddress.Inet inet && tlsCreds is not { VerifyPeer: true } && !(inet.Host == "localhost" || (IPAddress.TryParse(inet.Host, out var ip) && IPAddress.IsLoopback(ip))))
        {
            // Without TLS and client certificates anyone who reaches the port gets the images:
            // serving them off-host that way is a decision for the config, not a QMP call.
            throw QmpError.GenericError($"NBD may only listen on a loopback address, not on '{inet.Host}' (or with tls-creds whose verify-peer is on)");
        }
        var nbd = _nbd ?? throw QmpError.GenericError("NBD server is not available on this host");
        await RunAsync(() => nbd.StartAsync(address, tlsCreds, handshakeLimit, cancellationToken)).ConfigureAwait(false);
        return new JsonObject();
    }

    private async Task<JsonNode> NbdServerStopAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        arguments.EnsureNoneLeft();
        var nbd = _nbd ?? throw QmpError.GenericError("NBD server is not available on this host");
        await RunAsync(() => nbd.StopAsync(cancellationToken)).ConfigureAwait(false);
        return new JsonObject();
    }

    private async Task<JsonNode> QueryGraphLockAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        arguments.EnsureNoneLeft();
        var status = await RunAsync(() => _host.Coordinator.Ask<GraphLockStatus>(QueryGraphLock.Instance, s_timeout)).ConfigureAwait(false);
        var ioThreads = new JsonArray();
        foreach (var name in _host.Runtime.IoThreadNames)
        {
            var io = await RunAsync(() => _host.IoThreadStatusAsync(name, s_timeout)).ConfigureAwait(false);
            ioThreads.Add(new JsonObject
            {
                ["context"] = io.Name,
                ["readers"] = io.Readers,
                ["parked"] = io.Parked,
                ["waiting-for-disk"] = io.Outside,
                ["reported-epoch"] = io.Epoch,
            });
        }
        return new JsonObject
        {
            // This host's IoThreads; they report to its aggregator, one of the Coordinator's "hosts".
            ["contexts"] = ioThreads,
            ["hosts"] = new JsonArray([.. status.Contexts.Select(c => (JsonNode)new JsonObject
            {
                ["context"] = c.Context,
                ["readers"] = c.Readers,
                ["parked"] = c.Parked,
                ["reported-epoch"] = c.ReportedEpoch,
            })]),
            ["orphaned"] = status.Orphaned,
            ["writer-active"] = status.WriterActive,
            ["in-write-section"] = status.InWriteSection,
            ["epoch"] = status.Epoch,
            ["queued-writers"] = status.QueuedWriters,
            ["writes-done"] = status.WritesDone,
            ["deferred-actions-run"] = status.DeferredActionsRun,
            ["deferred-actions-failed"] = status.DeferredActionsFailed,
            ["write-wait"] = Latency(status.WriteWait),
            ["write-phases"] = new JsonObject
            {
                ["queued"] = Latency(status.Phases.Queued),
                ["stop"] = Latency(status.Phases.Stop),
                ["drain"] = Latency(status.Phases.Drain),
                ["section"] = Latency(status.Phases.Section),
                ["unlock"] = Latency(status.Phases.Unlock),
                ["deferred"] = Latency(status.Phases.Deferred),
            },
            ["slowest-drain"] = status.Phases.SlowestDrain is { } slowest
                ? new JsonObject
                {
                    ["epoch"] = slowest.Epoch,
                    ["drain-us"] = slowest.DrainMicros,
                    ["last-reader"] = slowest.LastReader is { } reader
                        ? new JsonObject { ["context"] = reader.Context, ["node"] = reader.Node, ["request"] = reader.Kind }
                        : null,
                }
                : null,
        };
    }

    private static JsonObject Latency(LatencySummary latency) => new()
    {
        ["count"] = latency.Count,
        ["p50-us"] = latency.P50Micros,
        ["p99-us"] = latency.P99Micros,
        ["max-us"] = latency.MaxMicros,
    };

    /// <summary>Not QEMU's: the cluster's members as this host sees them, the Coordinator's host and this host.</summary>
    private async Task<JsonNode> QueryClusterAsync(QmpArguments arguments, CancellationToken cancellationToken)
    {
        arguments.EnsureNoneLeft();
        var status = await ClusterStatusAsync(cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["members"] = new JsonArray([.. status.Members.Select(m => (JsonNode)new JsonObject
            {
                ["host"] = m.Host,
                ["address"] = m.Address,
                ["status"] = m.Status,
                ["roles"] = new JsonArray([.. m.Roles.Select(r => (JsonNode)r)]),
                ["reachable"] = m.Reachable,
                ["nbd-server"] = m.NbdServer,
            })]),
            ["coordinator"] = status.Coordinator,
            ["self"] = status.Self,
        };
    }

    private Task<ClusterStatus> ClusterStatusAsync(CancellationToken cancellationToken) =>
        ClusterStatus.QueryAsync(_host.System, _host.Runtime.Host, _nbd?.Endpoint?.ToString(), s_hostNameTimeout).WaitAsync(cancellationToken);

    private async Task<JsonNode> GraphCommandAsync(IGraphCommand command)
    {
        await RunAsync(() => _host.Graph.Ask<WriteCompleted>(command, s_timeout)).ConfigureAwait(false);
        return new JsonObject();
    }

    private Task<GraphSnapshot> QueryGraphAsync() => RunAsync(() => _host.Graph.Ask<GraphSnapshot>(QueryGraph.Instance, s_timeout));

    /// <summary>Turns a failure below QMP into a GenericError whose desc is the failure's own message.</summary>
    private static async Task<T> RunAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (QmpError)
        {
            throw;
        }
        catch (AskTimeoutException)
        {
            throw QmpError.GenericError($"The storage host did not answer within {s_timeout.TotalSeconds} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw QmpError.GenericError(e.Message);
        }
    }

    private static async Task RunAsync(Func<Task> action) =>
        await RunAsync(async () =>
        {
            await action().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private static Task<JsonNode> Done(QmpArguments arguments, JsonNode result)
    {
        arguments.EnsureNoneLeft();
        return Task.FromResult(result);
    }

    private static T Take<T>(QmpArguments arguments, Func<QmpArguments, T> read)
    {
        var value = read(arguments);
        arguments.EnsureNoneLeft();
        return value;
    }
}
