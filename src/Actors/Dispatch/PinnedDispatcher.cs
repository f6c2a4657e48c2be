namespace Actors.Dispatch;

/// <summary>
/// Gives every actor its own dedicated thread (IoThreads use this): the actor always runs on
/// the same thread, so thread-affine state needs no synchronisation.
/// </summary>
public sealed class PinnedDispatcher(string id, int throughput) : Dispatcher(id, throughput)
{
    internal override void Attach(Mailbox mailbox, string actorPath) =>
        mailbox.DispatcherState = new PinnedThread(mailbox, actorPath);

    internal override void Schedule(Mailbox mailbox) => ((PinnedThread)mailbox.DispatcherState!).Wake();

    internal override void Detach(Mailbox mailbox) => ((PinnedThread)mailbox.DispatcherState!).Stop();
}
