using Actors.IoThreads;

namespace Nodes.Drivers;

/// <summary>
/// A block node: a format, a filter or a protocol driver. It runs on its IoThread: requests
/// call these methods on that thread (the read lock is already held by the request), and a
/// node forwards to its children with plain async calls. Derive from <see cref="FilterNode"/>
/// for a filter; register the driver in a <see cref="DriverRegistry"/>.
/// </summary>
/// <remarks>
/// Completions are <see cref="ValueTask"/>s so that a node that answers at once (null-co, a
/// cache hit) costs no allocation. Errors are thrown as <see cref="BlockIOException"/> carrying
/// an errno the front ends translate (NBD error code, QMP error).
/// </remarks>
public abstract partial class BlockNode(NodeSettings settings)
{
    private readonly Dictionary<string, BlockNode> _children = new(StringComparer.Ordinal);

    public string Name => Settings.Name;

    public NodeSettings Settings { get; } = settings;

    /// <summary>The node's size in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Children by role, as the graph attached them.</summary>
    public IReadOnlyDictionary<string, BlockNode> Children => _children;

    /// <summary>
    /// How many live nodes have this one as a child. With none, a request reaches the node only
    /// from a front end (it entered the graph here): no other node's code waits on it.
    /// </summary>
    public int ParentCount { get; private set; }

    /// <summary>The <c>file</c> child; throws naming the node when it has none.</summary>
    protected BlockNode File => Child(Graph.ChildRole.File);

    public abstract ValueTask ReadAsync(long offset, Memory<byte> buffer);

    /// <summary>Writes <paramref name="data"/>; with <paramref name="fua"/> it is on stable storage when this completes.</summary>
    public abstract ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua);

    /// <summary>
    /// Makes every completed write durable. A node does nothing after its children's flushes but
    /// complete: in a front end's flush (<see cref="FlushForFrontEndAsync"/>) the file node waits
    /// for the disk outside the graph, so code after awaiting a child's flush holds the read lock
    /// again but may find the graph changed meanwhile.
    /// </summary>
    public abstract ValueTask FlushAsync();

    /// <summary>
    /// A front end's flush (NBD_CMD_FLUSH), under the current IoThread's read lock: the file node
    /// it reaches gives the lock back while the disk syncs (<see cref="IoThread.TryWaitOutside"/>),
    /// so a graph change meanwhile does not wait for the disk, which may take milliseconds.
    /// </summary>
    public ValueTask FlushForFrontEndAsync()
    {
        var io = IoThread.Current;
        io?.AllowWaitOutside();
        try
        {
            return FlushAsync();
        }
        finally
        {
            io?.EndWaitOutside();
        }
    }

    /// <summary>Tells the storage the range is unused; reads of it may return anything until written.</summary>
    public abstract ValueTask DiscardAsync(long offset, long length);

    /// <summary>Makes the range read as zeroes; <paramref name="mayUnmap"/> allows freeing it.</summary>
    public abstract ValueTask WriteZeroesAsync(long offset, long length, bool mayUnmap);

    /// <summary>
    /// What this node says about the range's first extent (QEMU's <c>bdrv_co_block_status</c>):
    /// whether reads of it return stored data or zeroes, and whether the node holds it itself or
    /// leaves it to the layer below (<see cref="FilteredOrBacking"/>). The answer's length is at
    /// least 1 and at most <paramref name="length"/> (clamped to the node's end). The default, for
    /// a node that cannot tell, answers the whole range as data it holds, which is always safe.
    /// </summary>
    public virtual ValueTask<BlockStatus> BlockStatusAsync(long offset, long length)
    {
        CheckStatusRange(offset, length);
        return ValueTask.FromResult(BlockStatus.Stored(Math.Min(length, Length - offset)));
    }

    /// <summary>
    /// Makes the node <paramref name="length"/> bytes long (QEMU's <c>bdrv_co_truncate</c>); a
    /// format grows its image file with it when it allocates clusters. Nodes that cannot change
    /// their size refuse with ENOTSUP.
    /// </summary>
    public virtual ValueTask TruncateAsync(long length) =>
        throw new BlockIOException(Errno.ENOTSUP, $"Node '{Name}' cannot change its size");

    /// <summary>Runs once the node's children are attached, before its first request.</summary>
    public virtual ValueTask OpenAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// The IoThread loop the node runs on (QEMU's <c>bdrv_get_aio_context</c>); set when the node is
    /// placed on a loop and changed when it moves. Timers a node needs are made on it.
    /// </summary>
    public Actors.IoThreads.EventLoop? Loop { get; private set; }

    /// <summary>Called on the new loop's thread when the node is placed on, or moved to, <paramref name="loop"/>; the node is quiesced.</summary>
    protected virtual void AttachedToLoop(Actors.IoThreads.EventLoop loop)
    {
    }

    /// <summary>Called on the old loop's thread before the node leaves it; cancel timers made on it.</summary>
    protected virtual void DetachingFromLoop(Actors.IoThreads.EventLoop loop)
    {
    }

    /// <summary>Places the node on <paramref name="loop"/> (call on that loop's thread).</summary>
    public void AttachToLoop(Actors.IoThreads.EventLoop loop)
    {
        loop.AssertOnLoop();
        Loop = loop;
        AttachedToLoop(loop);
    }

    /// <summary>Takes the node off its loop (call on that loop's thread, with the node quiesced).</summary>
    public void DetachFromLoop()
    {
        if (Loop is { } loop)
        {
            loop.AssertOnLoop();
            DetachingFromLoop(loop);
            Loop = null;
        }
    }

    /// <summary>Runs once the node is drained and leaves the graph; releases what it holds (an image file, timers).</summary>
    public virtual ValueTask CloseAsync() => ValueTask.CompletedTask;

    protected BlockNode Child(string role) =>
        _children.TryGetValue(role, out var child) ? child : throw new InvalidOperationException($"Node '{Name}' has no '{role}' child.");

    /// <summary>Checks a request against the node's size; throws EINVAL naming the node when it is outside.</summary>
    protected void CheckRange(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new BlockIOException(Errno.EINVAL, $"Node '{Name}': request at {offset}+{length} is outside its {Length} bytes");
        }
    }

    /// <summary>Checks a block-status query: a non-empty range that starts inside the node.</summary>
    protected void CheckStatusRange(long offset, long length)
    {
        if (offset < 0 || length <= 0 || offset >= Length)
        {
            throw new BlockIOException(Errno.EINVAL, $"Node '{Name}': block status at {offset}+{length} is outside its {Length} bytes");
        }
    }

    internal void SetChild(string role, BlockNode? child)
    {
        if (_children.Remove(role, out var previous))
        {
            previous.ParentCount--;
        }
        if (child is not null)
        {
            _children[role] = child;
            child.ParentCount++;
        }
    }
}
