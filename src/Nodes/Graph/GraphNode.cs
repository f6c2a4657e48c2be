using System.Collections.Immutable;

namespace Nodes.Graph;

/// <summary>A node of the block graph as the Coordinator knows it. Changed only by <see cref="BlockGraph.Apply"/>.</summary>
public sealed class GraphNode
{
    private readonly SortedDictionary<string, string> _children = new(StringComparer.Ordinal);
    private readonly List<(string Parent, string Role)> _parents = [];
    private readonly List<string> _exports = [];

    internal GraphNode(string name, string driver, ImmutableSortedDictionary<string, string> options, string host, string ioThread)
    {
        Name = name;
        Driver = driver;
        Options = options;
        Host = host;
        IoThread = ioThread;
    }

    public string Name { get; }

    public string Driver { get; }

    public ImmutableSortedDictionary<string, string> Options { get; }

    /// <summary>The host whose disk backend and IoThreads serve this node.</summary>
    public string Host { get; }

    /// <summary>The IoThread (graph-lock context) its requests run on.</summary>
    public string IoThread { get; internal set; }

    /// <summary>True until <c>blockdev-del</c> drops the monitor's reference.</summary>
    public bool MonitorOwned { get; internal set; } = true;

    /// <summary>The last reference is gone; the node waits in the pending-unref list to be closed.</summary>
    public bool PendingUnref { get; internal set; }

    /// <summary>Children by role.</summary>
    public IReadOnlyDictionary<string, string> Children => _children;

    public IReadOnlyList<(string Parent, string Role)> Parents => _parents;

    /// <summary>Ids of the exports serving this node.</summary>
    public IReadOnlyList<string> Exports => _exports;

    /// <summary>The monitor's reference, one per parent edge and one per export (QEMU's refcnt).</summary>
    public int RefCount => (MonitorOwned ? 1 : 0) + _parents.Count + _exports.Count;

    internal SortedDictionary<string, string> MutableChildren => _children;

    internal List<(string Parent, string Role)> MutableParents => _parents;

    internal List<string> MutableExports => _exports;
}
