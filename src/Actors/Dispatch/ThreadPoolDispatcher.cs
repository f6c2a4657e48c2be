namespace Actors.Dispatch;

/// <summary>Runs mailboxes on the .NET thread pool, a throughput batch at a time.</summary>
public sealed class ThreadPoolDispatcher(string id, int throughput) : Dispatcher(id, throughput)
{
    internal override void Schedule(Mailbox mailbox) =>
        ThreadPool.UnsafeQueueUserWorkItem(mailbox, preferLocal: false);
}
