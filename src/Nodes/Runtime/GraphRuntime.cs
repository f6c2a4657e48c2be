using System.Collections.Concurrent;
using System.Collections.Immutable;
using Actors.IoThreads;
using Nodes.Drivers;
using Nodes.Graph;
using Nodes.Lifecycle;

namespace Nodes.Runtime;

/// <summary>
/// The live nodes of one host: each an instance of its driver on the loop of its IoThread.
/// Graph events (applied inside the Coordinator's write section, when no request is in flight)
/// open, wire, move and close them; requests enter through <see cref="RunRequestAsync{T}"/>.
/// A node instance is touched only on its loop's thread.
/// </summary>
public sealed class GraphRuntime(string host, DriverRegistry drivers)
{
    private readonly ConcurrentDictionary<string, IoThread> _ioThreads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LiveNode> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BlockExport> _exports = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _unavailable = new(StringComparer.Ordinal);

    public string Host { get; } = host;

    public DriverRegistry Drivers { get; } = drivers;

    /// <summary>Makes an IoThread of this host available to nodes (its name is the graph-lock context name).</summary>
    public void AddIoThread(IoThread ioThread) => _ioThreads[ioThread.Name] = ioThread;

    /// <summary>Some IoThread of this host, for front-end work no node owns; null when it has none.</summary>
    public IoThread? AnyIoThread() => _ioThreads.Values.FirstOrDefault();

    /// <summary>The IoThreads of this host nodes may run on, by name.</summary>
    public IReadOnlyCollection<string> IoThreadNames => [.. _ioThreads.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Whether nodes may be opened on or moved to the IoThread called <paramref name="name"/>.</summary>
    public bool HasIoThread(string name) => _ioThreads.ContainsKey(name);

    /// <summary>
    /// Takes an IoThread away from nodes before it stops (QMP <c>object-del</c>). Call it inside a
    /// write section: no node can be opened on or moved to it meanwhile. Refused while a live node
    /// (a pending unref too) still runs on it.
    /// </summary>
    public IoThread RemoveIoThread(string name)
    {
        var io = IoThreadNamed(name);
        var user = _nodes.FirstOrDefault(n => n.Value.IoThread == io).Key;
        if (user is not null)
        {
            throw new GraphException($"IoThread '{name}' on host '{Host}' still runs node '{user}'");
        }
        _ioThreads.TryRemove(name, out _);
        return io;
    }

    /// <summary>The live node called <paramref name="name"/>, if it is open on this host.</summary>
    public BlockNode? Find(string name) => _nodes.TryGetValue(name, out var live) ? live.Node : null;

    /// <summary>The node an export serves right now (it changes when a filter is inserted above it).</summary>
    public string? NodeOfExport(string exportId) => _exports.GetValueOrDefault(exportId)?.Node;

    /// <summary>The export published under <paramref name="name"/> (the name NBD clients ask for), if any.</summary>
    public BlockExport? FindExportByName(string name) => _exports.Values.FirstOrDefault(e => e.Name == name);

    /// <summary>Every export of this host, as the graph has them now.</summary>
    public IReadOnlyCollection<BlockExport> Exports => [.. _exports.Values];

    /// <summary>The IoThread <paramref name="nodeName"/> runs on now (front ends follow it there), if it is open on this host.</summary>
    public IoThread? IoThreadOf(string nodeName) => _nodes.TryGetValue(nodeName, out var live) ? live.IoThread : null;

    /// <summary>
    /// Runs one request against <paramref name="nodeName"/> as a front end does: on the node's
    /// IoThread, under its read lock, taken once at the top and released when the request
    /// completes. If the node moved while the request waited for the lock, the request follows it.
    /// Called on the node's own loop, a request that completes at once allocates nothing.
    /// <paramref name="kind"/> names the request's type (<c>NBD_CMD_READ</c>, ...): a write that
    /// waits for the request to leave is told its node and type, so the graph lock's status can
    /// name the reader a long drain waited for.
    /// </summary>
    public ValueTask<T> RunRequestAsync<T>(string nodeName, Func<BlockNode, ValueTask<T>> request, string kind = UnnamedKind) =>
        RunAsync(new Target(nodeName, IsExport: false, kind), request);

    /// <summary>
    /// Like <see cref="RunRequestAsync{T}"/>, against the node export <paramref name="exportId"/>
    /// serves once the read lock is taken: a filter inserted or removed above the node while the
    /// request waited for the lock is taken into account, never a node that left the export.
    /// </summary>
    public ValueTask<T> RunExportRequestAsync<T>(string exportId, Func<BlockNode, ValueTask<T>> request, string kind = UnnamedKind) =>
        RunAsync(new Target(exportId, IsExport: true, kind), request);

    private const string UnnamedKind = "request";

    private ValueTask<T> RunAsync<T>(Target target, Func<BlockNode, ValueTask<T>> request)
    {
        var io = Resolve(target).IoThread;
        return io.Loop.IsCurrent ? RunHereAsync(io, target, request) : new ValueTask<T>(RunThereAsync(target, request));
    }

    private async ValueTask<T> RunHereAsync<T>(IoThread io, Target target, Func<BlockNode, ValueTask<T>> request)
    {
        var attempt = await AttemptAsync(io, target, request);
        return attempt.Done ? attempt.Result : await RunThereAsync(target, request);
    }

    /// <summary>From another thread: enter the node's loop, and follow the node if it moves meanwhile.</summary>
    private async Task<T> RunThereAsync<T>(Target target, Func<BlockNode, ValueTask<T>> request)
    {
        while (true)
        {
            var io = Resolve(target).IoThread;
            var attempt = await io.Loop.RunAsync(() => AttemptAsync(io, target, request).AsTask());
            if (attempt.Done)
            {
                return attempt.Result;
            }
        }
    }

    /// <summary>
    /// One try on <paramref name="io"/>'s loop. Parked behind a writer, the request may find its
    /// node moved to another IoThread: then it is not run here (Done is false). The target is
    /// resolved again under the lock: that is the graph the request runs against.
    /// </summary>
    private async ValueTask<(bool Done, T Result)> AttemptAsync<T>(IoThread io, Target target, Func<BlockNode, ValueTask<T>> request)
    {
        // From the lock to the unlock every continuation belongs on this IoThread's loop, whatever
        // the caller resumes on (a front end's strand follows a node that moves meanwhile). The
        // async builder gives the caller its own context back when this method yields or returns.
        SynchronizationContext.SetSynchronizationContext(io.Loop.SynchronizationContext);
        await io.ReadLockAsync();
        var node = target.Name;
        try
        {
            var current = Resolve(target);
            node = current.Node.Name;
            return current.IoThread == io ? (true, await request(current.Node)) : (false, default!);
        }
        finally
        {
            io.ReadUnlock(node, target.Kind);
        }
    }

    private LiveNode Resolve(Target target) =>
        !target.IsExport ? Live(target.Name)
        : _exports.TryGetValue(target.Name, out var export) ? Live(export.Node)
        : throw new GraphException($"Export '{target.Name}' does not exist on host '{Host}'");

    /// <summary>
    /// Applies graph events to the live nodes of this host (in a write section: nothing is in
    /// flight); what concerns nodes of other hosts is theirs to apply.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<IGraphEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            switch (events[i])
            {
                case NodeAdded added when added.Host == Host:
                    // The children listed right after it are attached before the node opens.
                    var children = new Dictionary<string, string>(StringComparer.Ordinal);
                    while (i + 1 < events.Count && events[i + 1] is ChildAttached attached && attached.Parent == added.Node)
                    {
                        children[attached.Role] = attached.Child;
                        i++;
                    }
                    await OpenAsync(added.Node, added.Driver, added.Options, added.IoThread, children);
                    break;
                case ChildAttached attached:
                    await Wire(attached.Parent, attached.Role, attached.Child);
                    break;
                case ChildReplaced replaced:
                    await Wire(replaced.Parent, replaced.Role, replaced.NewChild);
                    break;
                case ChildDetached detached:
                    await Wire(detached.Parent, detached.Role, child: null);
                    break;
                case NodesMoved moved:
                    await MoveAsync(moved.Nodes, moved.IoThread);
                    break;
                case ExportAdded exportAdded when _nodes.ContainsKey(exportAdded.Node):
                    _exports[exportAdded.Id] = new BlockExport(exportAdded.Id, exportAdded.Node, exportAdded.Name, exportAdded.Writable);
                    break;
                case ExportRetargeted retargeted when _exports.TryGetValue(retargeted.Id, out var export):
                    _exports[retargeted.Id] = export with { Node = retargeted.NewNode };
                    break;
                case ExportRemoved removed:
                    _exports.TryRemove(removed.Id, out _);
                    break;
                case NodeClosed closed:
                    await CloseNodeAsync(closed.Node);
                    break;
            }
        }
    }

    /// <summary>
    /// Makes the live nodes what <paramref name="graph"/> says (after recovery, in its write
    /// section): a live node the graph has just as it is (driver, options, IoThread, children) stays
    /// open, so a new owner after a failover interrupts nothing; any other is closed; then the
    /// graph's nodes of this host that are not open are opened, children first. Nodes waiting to
    /// be closed are not opened: their close only has to be recorded. A node that cannot be opened
    /// does not stop the others: it is left unavailable, with its reason (and so are the parents
    /// above it), and returned with the reasons.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> OpenAllAsync(BlockGraph graph)
    {
        // A parent stays only when its children do (OpenAsInGraph), so nothing kept refers to a node that closes.
        foreach (var name in _nodes.Keys.Where(n => !OpenAsInGraph(n, graph)).ToList())
        {
            await CloseNodeAsync(name);
        }
        _exports.Clear();
        _unavailable.Clear();
        var opened = new HashSet<string>(StringComparer.Ordinal);
        async Task Open(GraphNode node)
        {
            if (node.Host != Host || node.PendingUnref || !opened.Add(node.Name) || _nodes.ContainsKey(node.Name))
            {
                return;
            }
            foreach (var child in node.Children.Values)
            {
                await Open(graph.Get(child));
            }
            if (node.Children.Values.FirstOrDefault(_unavailable.ContainsKey) is { } missing)
            {
                _unavailable[node.Name] = $"its child '{missing}' is unavailable";
                return;
            }
            try
            {
                await OpenAsync(node.Name, node.Driver, node.Options, node.IoThread, node.Children.ToDictionary(c => c.Key, c => c.Value));
            }
            catch (Exception e) when (Refusal.Is(e))
            {
                _unavailable[node.Name] = e.Message;
            }
        }
        foreach (var node in graph.Nodes.ToList())
        {
            await Open(node);
        }
        foreach (var export in graph.Exports.Where(e => graph.Get(e.Node).Host == Host))
        {
            _exports[export.Id] = export;
        }
        return new Dictionary<string, string>(_unavailable, StringComparer.Ordinal);
    }

    /// <summary>Whether the live node <paramref name="name"/> is what <paramref name="graph"/> has, over children that are too.</summary>
    private bool OpenAsInGraph(string name, BlockGraph graph)
    {
        var live = _nodes[name];
        return graph.Find(name) is { PendingUnref: false } node
            && node.Host == Host
            && node.Driver == live.Driver
            && node.IoThread == live.IoThread.Name
            && node.Options.SequenceEqual(live.Node.Settings.Options)
            && node.Children.Count == live.Node.Children.Count
            && node.Children.All(c => live.Node.Children.TryGetValue(c.Key, out var child) && child.Name == c.Value && _nodes.ContainsKey(c.Value) && OpenAsInGraph(c.Value, graph));
    }

    /// <summary>Closes a node whose last reference is gone (its image is released); no request can reach it any more.</summary>
    public async Task CloseNodeAsync(string name)
    {
        _unavailable.TryRemove(name, out _);
        if (!_nodes.TryRemove(name, out var live))
        {
            return;
        }
        await live.IoThread.Loop.RunAsync(async () =>
        {
            await live.Node.CloseAsync();
            live.Node.DetachFromLoop();
            return true;
        });
    }

    private async Task OpenAsync(string name, string driver, ImmutableSortedDictionary<string, string> options, string ioThreadName, IReadOnlyDictionary<string, string> children)
    {
        var io = IoThreadNamed(ioThreadName);
        var childNodes = children.ToDictionary(c => c.Key, c => Live(c.Value).Node);
        var node = await io.Loop.RunAsync(() => Drivers.OpenAsync(driver, new NodeSettings(name, options, io.Loop.Clock), childNodes).AsTask());
        _nodes[name] = new LiveNode(node, driver, io);
    }

    private Task Wire(string parent, string role, string? child)
    {
        if (!_nodes.TryGetValue(parent, out var live))
        {
            // The parent is not on this host, or is already closed.
            return Task.CompletedTask;
        }
        var childNode = child is null ? null : Live(child).Node;
        return live.IoThread.Loop.RunAsync(() =>
        {
            live.Node.SetChild(role, childNode);
            return Task.FromResult(true);
        });
    }

    private async Task MoveAsync(ImmutableArray<string> names, string target)
    {
        var to = IoThreadNamed(target);
        foreach (var name in names)
        {
            if (!_nodes.TryGetValue(name, out var live))
            {
                continue;
            }
            await live.IoThread.Loop.RunAsync(() =>
            {
                live.Node.DetachFromLoop();
                return Task.FromResult(true);
            });
            await to.Loop.RunAsync(() =>
            {
                live.Node.AttachToLoop(to.Loop);
                return Task.FromResult(true);
            });
            _nodes[name] = live with { IoThread = to };
        }
    }

    private LiveNode Live(string name) =>
        _nodes.TryGetValue(name, out var live) ? live : throw new GraphException($"Node '{name}' is not open on host '{Host}'");

    private IoThread IoThreadNamed(string name) =>
        _ioThreads.TryGetValue(name, out var io) ? io : throw new GraphException($"IoThread '{name}' does not exist on host '{Host}'");

    private sealed record LiveNode(BlockNode Node, string Driver, IoThread IoThread);

    /// <summary>What a request is addressed to (a node by name, or whatever node an export serves), and its type.</summary>
    private readonly record struct Target(string Name, bool IsExport, string Kind);
}
