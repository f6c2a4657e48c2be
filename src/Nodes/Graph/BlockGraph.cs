using System.Collections.Immutable;
using Nodes.Lifecycle;

namespace Nodes.Graph;

/// <summary>
/// The authoritative block graph (nodes, edges with roles, exports, the pending-unref list),
/// kept by the Coordinator and changed only inside a write section. Every change is a command
/// that validates first and changes nothing when it refuses (<see cref="GraphException"/>), then
/// returns the lifecycle events it applied, to be persisted as one batch. <see cref="Apply"/>
/// replays persisted events to rebuild the graph.
/// </summary>
public sealed class BlockGraph(Func<string, DriverInfo?> drivers)
{
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, BlockExport> _exports = new(StringComparer.Ordinal);
    private readonly List<string> _pendingUnref = [];

    public IReadOnlyCollection<GraphNode> Nodes => _nodes.Values;

    public IReadOnlyCollection<BlockExport> Exports => _exports.Values;

    /// <summary>Nodes whose last reference was dropped, in the order they are to be closed.</summary>
    public IReadOnlyList<string> PendingUnrefs => _pendingUnref;

    public GraphNode? Find(string name) => _nodes.GetValueOrDefault(name);

    /// <summary>Forgets everything, before a replay of the journal.</summary>
    public void Clear()
    {
        _nodes.Clear();
        _exports.Clear();
        _pendingUnref.Clear();
    }

    /// <summary>The node called <paramref name="name"/>; refuses with QEMU's message when there is none.</summary>
    public GraphNode Get(string name) => Find(name) ?? throw new GraphException($"Cannot find node name '{name}'");

    public BlockExport? FindExport(string id) => _exports.GetValueOrDefault(id);

    /// <summary>blockdev-add: a node of <paramref name="driver"/> with its children, on the IoThread of its children.</summary>
    public IReadOnlyList<IGraphEvent> AddNode(NodeName name, string driver, ImmutableSortedDictionary<string, string> options, string host, string ioThread, IReadOnlyDictionary<string, NodeName> children)
    {
        if (_nodes.ContainsKey(name.Value))
        {
            throw new GraphException($"Duplicate nodes with node-name='{name}'");
        }
        var info = DriverOf(driver);
        foreach (var required in info.RequiredRoles)
        {
            if (!children.ContainsKey(required))
            {
                throw new GraphException($"Parameter '{required}' is required by driver '{driver}'");
            }
        }
        var events = new List<IGraphEvent> { new NodeAdded(name.Value, driver, options, host, ioThread) };
        foreach (var (role, childName) in children)
        {
            if (!info.ChildRoles.Contains(role))
            {
                throw new GraphException($"Driver '{driver}' does not take a '{role}' child");
            }
            var child = Usable(childName.Value);
            RequireSamePlace(child, name.Value, host, ioThread);
            events.Add(new ChildAttached(name.Value, role, child.Name));
        }
        return Emit(events);
    }

    /// <summary>blockdev-del: drops the monitor's reference; refused while parents or exports still use the node.</summary>
    public IReadOnlyList<IGraphEvent> DeleteNode(NodeName name)
    {
        var node = Get(name.Value);
        if (!node.MonitorOwned)
        {
            throw new GraphException($"Node '{name}' is not owned by the monitor");
        }
        if (node.Exports.Count > 0)
        {
            throw new GraphException($"Node '{name}' is busy: node is used as export '{node.Exports[0]}'");
        }
        if (node.Parents.Count > 0)
        {
            var (parent, role) = node.Parents[0];
            throw new GraphException($"Node '{name}' is busy: node is used as the '{role}' child of '{parent}'");
        }
        return Emit([new NodeReleased(node.Name), new UnrefScheduled(node.Name)]);
    }

    /// <summary>Adds the edge <paramref name="parent"/> —<paramref name="role"/>→ <paramref name="child"/>.</summary>
    public IReadOnlyList<IGraphEvent> Attach(NodeName parent, string role, NodeName child)
    {
        var p = Usable(parent.Value);
        var c = Usable(child.Value);
        if (!DriverOf(p.Driver).ChildRoles.Contains(role))
        {
            throw new GraphException($"Driver '{p.Driver}' of node '{p.Name}' does not take a '{role}' child");
        }
        if (p.Children.ContainsKey(role))
        {
            throw new GraphException($"Node '{p.Name}' already has a '{role}' child: '{p.Children[role]}'");
        }
        RequireNoCycle(p, c);
        RequireSamePlace(c, p.Name, p.Host, p.IoThread);
        return Emit([new ChildAttached(p.Name, role, c.Name)]);
    }

    /// <summary>Removes the <paramref name="role"/> child of <paramref name="parent"/>; a child left without references is scheduled for unref.</summary>
    public IReadOnlyList<IGraphEvent> Detach(NodeName parent, string role)
    {
        var p = Get(parent.Value);
        var child = ChildOf(p, role);
        if (DriverOf(p.Driver).RequiredRoles.Contains(role))
        {
            throw new GraphException($"Node '{p.Name}' cannot lose its '{role}' child: driver '{p.Driver}' requires one");
        }
        var events = new List<IGraphEvent> { new ChildDetached(p.Name, role, child.Name) };
        ScheduleUnrefIfLast(child, events);
        return Emit(events);
    }

    /// <summary>Points the <paramref name="role"/> edge of <paramref name="parent"/> at <paramref name="newChild"/> (blockdev-reopen).</summary>
    public IReadOnlyList<IGraphEvent> Replace(NodeName parent, string role, NodeName newChild)
    {
        var p = Get(parent.Value);
        var old = ChildOf(p, role);
        var replacement = Usable(newChild.Value);
        if (replacement == old)
        {
            return [];
        }
        RequireNoCycle(p, replacement);
        RequireSamePlace(replacement, p.Name, p.Host, p.IoThread);
        var events = new List<IGraphEvent> { new ChildReplaced(p.Name, role, old.Name, replacement.Name) };
        ScheduleUnrefIfLast(old, events);
        return Emit(events);
    }

    /// <summary>
    /// Inserts a new filter node above <paramref name="above"/>: every parent and export of it is
    /// re-pointed to the filter in the same batch, so no request ever sees half of the change.
    /// </summary>
    /// <remarks>
    ///   before:  disk0 ─file→ file0        after:  disk0 ─file→ thr0 ─file→ file0
    /// </remarks>
    public IReadOnlyList<IGraphEvent> InsertFilter(NodeName filter, string driver, ImmutableSortedDictionary<string, string> options, NodeName above)
    {
        if (_nodes.ContainsKey(filter.Value))
        {
            throw new GraphException($"Duplicate nodes with node-name='{filter}'");
        }
        if (!DriverOf(driver).IsFilter)
        {
            throw new GraphException($"Driver '{driver}' is not a filter");
        }
        var target = Usable(above.Value);
        var events = new List<IGraphEvent>
        {
            new NodeAdded(filter.Value, driver, options, target.Host, target.IoThread),
            new ChildAttached(filter.Value, ChildRole.File, target.Name),
        };
        events.AddRange(target.Parents.Select(edge => (IGraphEvent)new ChildReplaced(edge.Parent, edge.Role, target.Name, filter.Value)));
        events.AddRange(target.Exports.Select(id => (IGraphEvent)new ExportRetargeted(id, target.Name, filter.Value)));
        return Emit(events);
    }

    /// <summary>Removes a filter: its parents and exports are re-pointed to its child, and the filter is released.</summary>
    public IReadOnlyList<IGraphEvent> RemoveFilter(NodeName filter)
    {
        var f = Get(filter.Value);
        if (!DriverOf(f.Driver).IsFilter)
        {
            throw new GraphException($"Node '{f.Name}' is not a filter (driver '{f.Driver}')");
        }
        var child = ChildOf(f, ChildRole.File);
        var events = new List<IGraphEvent>();
        events.AddRange(f.Parents.Select(edge => (IGraphEvent)new ChildReplaced(edge.Parent, edge.Role, f.Name, child.Name)));
        events.AddRange(f.Exports.Select(id => (IGraphEvent)new ExportRetargeted(id, f.Name, child.Name)));
        if (f.MonitorOwned)
        {
            events.Add(new NodeReleased(f.Name));
        }
        events.Add(new UnrefScheduled(f.Name));
        return Emit(events);
    }

    /// <summary>
    /// Moves <paramref name="node"/> to <paramref name="ioThread"/> together with every node
    /// attached to it (through parents or children): a node and its children share a context.
    /// </summary>
    public IReadOnlyList<IGraphEvent> Move(NodeName node, string ioThread)
    {
        var start = Usable(node.Value);
        if (start.IoThread == ioThread)
        {
            return [];
        }
        var component = new SortedSet<string>(StringComparer.Ordinal);
        var queue = new Queue<GraphNode>([start]);
        while (queue.TryDequeue(out var current))
        {
            if (!component.Add(current.Name))
            {
                continue;
            }
            foreach (var next in current.Children.Values.Concat(current.Parents.Select(p => p.Parent)))
            {
                queue.Enqueue(Get(next));
            }
        }
        return Emit([new NodesMoved([.. component], ioThread)]);
    }

    /// <summary>block-export-add: <paramref name="node"/> served as <paramref name="name"/>.</summary>
    public IReadOnlyList<IGraphEvent> AddExport(string id, NodeName node, string name, bool writable)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (_exports.ContainsKey(id))
        {
            throw new GraphException($"Block export id '{id}' is already in use");
        }
        if (_exports.Values.Any(e => e.Name == name))
        {
            throw new GraphException($"An export named '{name}' already exists");
        }
        var n = Usable(node.Value);
        return Emit([new ExportAdded(id, n.Name, name, writable)]);
    }

    /// <summary>block-export-del: a node left without references is scheduled for unref.</summary>
    public IReadOnlyList<IGraphEvent> RemoveExport(string id)
    {
        var export = FindExport(id) ?? throw new GraphException($"Export '{id}' is not found");
        var events = new List<IGraphEvent> { new ExportRemoved(id) };
        ScheduleUnrefIfLast(Get(export.Node), events);
        return Emit(events);
    }

    /// <summary>
    /// The close of a node taken off the pending-unref list: it lets go of its children (a child
    /// left without references is scheduled in turn) and leaves the graph.
    /// </summary>
    public IReadOnlyList<IGraphEvent> Close(NodeName node)
    {
        var n = Get(node.Value);
        if (!n.PendingUnref)
        {
            throw new GraphException($"Node '{n.Name}' still has {n.RefCount} references and cannot be closed");
        }
        var events = new List<IGraphEvent>();
        foreach (var (role, childName) in n.Children)
        {
            events.Add(new ChildDetached(n.Name, role, childName));
            ScheduleUnrefIfLast(Get(childName), events);
        }
        events.Add(new NodeClosed(n.Name));
        return Emit(events);
    }

    /// <summary>
    /// The shortest history that rebuilds the graph as it is now (a snapshot): every node as
    /// added where it lives today, then every edge and export, then the references already
    /// dropped and the pending-unref list in its order.
    /// </summary>
    public IReadOnlyList<IGraphEvent> Compact()
    {
        var events = new List<IGraphEvent>();
        var nodes = _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        events.AddRange(nodes.Select(n => (IGraphEvent)new NodeAdded(n.Name, n.Driver, n.Options, n.Host, n.IoThread)));
        events.AddRange(nodes.SelectMany(n => n.Children.Select(c => (IGraphEvent)new ChildAttached(n.Name, c.Key, c.Value))));
        events.AddRange(_exports.Values.Select(e => (IGraphEvent)new ExportAdded(e.Id, e.Node, e.Name, e.Writable)));
        events.AddRange(nodes.Where(n => !n.MonitorOwned).Select(n => (IGraphEvent)new NodeReleased(n.Name)));
        events.AddRange(_pendingUnref.Select(n => (IGraphEvent)new UnrefScheduled(n)));
        return events;
    }

    /// <summary>Applies one persisted event. Events come from the commands above, so an inconsistent one means a corrupt journal.</summary>
    public void Apply(IGraphEvent @event)
    {
        switch (@event)
        {
            case NodeAdded added:
                _nodes.Add(added.Node, new GraphNode(added.Node, added.Driver, added.Options, added.Host, added.IoThread));
                break;
            case ChildAttached attached:
                Known(attached.Parent).MutableChildren.Add(attached.Role, attached.Child);
                Known(attached.Child).MutableParents.Add((attached.Parent, attached.Role));
                break;
            case ChildDetached detached:
                Known(detached.Parent).MutableChildren.Remove(detached.Role);
                Known(detached.Child).MutableParents.Remove((detached.Parent, detached.Role));
                break;
            case ChildReplaced replaced:
                Known(replaced.Parent).MutableChildren[replaced.Role] = replaced.NewChild;
                Known(replaced.OldChild).MutableParents.Remove((replaced.Parent, replaced.Role));
                Known(replaced.NewChild).MutableParents.Add((replaced.Parent, replaced.Role));
                break;
            case NodesMoved moved:
                foreach (var name in moved.Nodes)
                {
                    Known(name).IoThread = moved.IoThread;
                }
                break;
            case ExportAdded exportAdded:
                _exports.Add(exportAdded.Id, new BlockExport(exportAdded.Id, exportAdded.Node, exportAdded.Name, exportAdded.Writable));
                Known(exportAdded.Node).MutableExports.Add(exportAdded.Id);
                break;
            case ExportRetargeted retargeted:
                _exports[retargeted.Id] = KnownExport(retargeted.Id) with { Node = retargeted.NewNode };
                Known(retargeted.OldNode).MutableExports.Remove(retargeted.Id);
                Known(retargeted.NewNode).MutableExports.Add(retargeted.Id);
                break;
            case ExportRemoved removed:
                Known(KnownExport(removed.Id).Node).MutableExports.Remove(removed.Id);
                _exports.Remove(removed.Id);
                break;
            case NodeReleased released:
                Known(released.Node).MonitorOwned = false;
                break;
            case UnrefScheduled scheduled:
                Known(scheduled.Node).PendingUnref = true;
                _pendingUnref.Add(scheduled.Node);
                break;
            case NodeClosed closed:
                _nodes.Remove(closed.Node);
                _pendingUnref.Remove(closed.Node);
                break;
            default:
                throw new ArgumentException($"Unknown graph event {@event.GetType().Name}.", nameof(@event));
        }
    }

    private IReadOnlyList<IGraphEvent> Emit(List<IGraphEvent> events)
    {
        foreach (var e in events)
        {
            Apply(e);
        }
        return events;
    }

    private DriverInfo DriverOf(string driver) => drivers(driver) ?? throw new GraphException($"Unknown driver '{driver}'");

    /// <summary>A node that may take new references: it exists and is not on its way out.</summary>
    private GraphNode Usable(string name)
    {
        var node = Get(name);
        return node.PendingUnref ? throw new GraphException($"Node '{name}' is being closed") : node;
    }

    private GraphNode ChildOf(GraphNode parent, string role) =>
        parent.Children.TryGetValue(role, out var child)
            ? Get(child)
            : throw new GraphException($"Node '{parent.Name}' has no '{role}' child");

    private void ScheduleUnrefIfLast(GraphNode child, List<IGraphEvent> events)
    {
        // The caller's events drop exactly one reference of the child.
        if (child.RefCount == 1)
        {
            events.Add(new UnrefScheduled(child.Name));
        }
    }

    private void RequireNoCycle(GraphNode parent, GraphNode child)
    {
        if (parent == child || Reaches(child, parent.Name))
        {
            throw new GraphException($"Making '{child.Name}' a child of '{parent.Name}' would create a cycle");
        }
    }

    private bool Reaches(GraphNode from, string target) =>
        from.Children.Values.Any(c => c == target || Reaches(Get(c), target));

    private static void RequireSamePlace(GraphNode child, string parent, string host, string ioThread)
    {
        if (child.Host != host || child.IoThread != ioThread)
        {
            throw new GraphException($"Node '{child.Name}' is on {child.Host}/{child.IoThread} but its parent '{parent}' would be on {host}/{ioThread}: move one of them first");
        }
    }

    private GraphNode Known(string name) =>
        Find(name) ?? throw new InvalidOperationException($"Graph event refers to node '{name}', which the graph does not have (corrupt journal?).");

    private BlockExport KnownExport(string id) =>
        FindExport(id) ?? throw new InvalidOperationException($"Graph event refers to export '{id}', which the graph does not have (corrupt journal?).");
}
