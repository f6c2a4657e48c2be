namespace Nodes.Drivers;

/// <summary>
/// A <c>blkdebug</c>-style fault injector for tests: fails chosen requests and delays requests.
/// Options: <c>fail-nth</c> (the Nth matching request fails, counting from 1; 0 = never),
/// <c>fail-op</c> (<c>read</c>, <c>write</c>, <c>flush</c>, <c>discard</c> or <c>any</c>),
/// <c>errno</c> (a number or name, default EIO), <c>fail-once</c> (on: only the Nth; off: the Nth
/// and every later one), <c>delay-us</c> (every request waits this long on an IoThread timer),
/// <c>close-delay-us</c> (closing the node takes this long: storage slow to let go of it, which
/// holds a deferred unref open, e.g. while a test kills the graph's owner).
/// </summary>
public sealed class BlkDebugNode : FilterNode
{
    private readonly long _failNth;
    private readonly string _failOp;
    private readonly Errno _errno;
    private readonly bool _failOnce;
    private readonly TimeSpan _delay;
    private readonly TimeSpan _closeDelay;
    private long _matching;

    public BlkDebugNode(NodeSettings settings)
        : base(settings)
    {
        _failNth = settings.GetSize("fail-nth", 0);
        _failOp = settings.Get("fail-op", "any");
        if (_failOp is not ("read" or "write" or "flush" or "discard" or "any"))
        {
            throw new ArgumentException($"Node '{Name}' option 'fail-op': expected read, write, flush, discard or any, got '{_failOp}'");
        }
        var errno = settings.Get("errno", "EIO");
        _errno = Enum.TryParse<Errno>(errno, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new ArgumentException($"Node '{Name}' option 'errno': unknown error '{errno}'");
        _failOnce = settings.GetBool("fail-once", true);
        _delay = TimeSpan.FromMicroseconds(settings.GetSize("delay-us", 0));
        _closeDelay = TimeSpan.FromMicroseconds(settings.GetSize("close-delay-us", 0));
    }

    /// <summary>Requests that failed by injection so far.</summary>
    public long Injected { get; private set; }

    public override async ValueTask ReadAsync(long offset, Memory<byte> buffer)
    {
        await Inject("read");
        await File.ReadAsync(offset, buffer);
    }

    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, bool fua)
    {
        await Inject("write");
        await File.WriteAsync(offset, data, fua);
    }

    public override async ValueTask FlushAsync()
    {
        await Inject("flush");
        await File.FlushAsync();
    }

    public override async ValueTask DiscardAsync(long offset, long length)
    {
        await Inject("discard");
        await File.DiscardAsync(offset, length);
    }

    public override async ValueTask CloseAsync()
    {
        if (_closeDelay > TimeSpan.Zero)
        {
            await Delay(_closeDelay);
        }
        await base.CloseAsync();
    }

    private async ValueTask Inject(string op)
    {
        if (_delay > TimeSpan.Zero)
        {
            await Delay(_delay);
        }
        if (_failNth == 0 || (_failOp != "any" && _failOp != op))
        {
            return;
        }
        var n = ++_matching;
        if (n == _failNth || (!_failOnce && n > _failNth))
        {
            Injected++;
            throw new BlockIOException(_errno, $"Node '{Name}': injected {_errno} on {op} request {n}");
        }
    }

    private Task Delay(TimeSpan delay)
    {
        var loop = Loop ?? throw new InvalidOperationException($"blkdebug node '{Name}' is not on an IoThread.");
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.NewTimer(done.SetResult).Arm(delay);
        return done.Task;
    }
}
