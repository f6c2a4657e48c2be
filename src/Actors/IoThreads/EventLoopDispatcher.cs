using Actors.Dispatch;

namespace Actors.IoThreads;

/// <summary>
/// Runs actors on one <see cref="EventLoop"/>'s thread: the IoThread actor and the node actors
/// bound to it share that thread, as block nodes share an AioContext in QEMU.
/// </summary>
public sealed class EventLoopDispatcher : Dispatcher
{
    private readonly EventLoop _loop;

    internal EventLoopDispatcher(EventLoop loop, string id, int throughput)
        : base(id, throughput)
    {
        _loop = loop;
    }

    internal override void Schedule(Mailbox mailbox) => _loop.Enqueue(mailbox);
}
