namespace Actors.Dispatch;

/// <summary>The dedicated thread of one actor on the <see cref="PinnedDispatcher"/>.</summary>
/// <remarks>
/// The semaphore counts schedules: the mailbox calls <see cref="Wake"/> once per idle→scheduled
/// transition, so a wake that arrives while the thread is still running is kept as a count and
/// the next wait returns at once. Nothing is lost between "queue looked empty" and "sleep".
/// </remarks>
internal sealed class PinnedThread
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Mailbox _mailbox;
    private volatile bool _stopping;

    public PinnedThread(Mailbox mailbox, string actorPath)
    {
        _mailbox = mailbox;
        Thread = new Thread(Loop)
        {
            IsBackground = true,
            Name = "pinned " + actorPath,
        };
        Thread.Start();
    }

    public Thread Thread { get; }

    public void Wake() => _wake.Release();

    public void Stop()
    {
        _stopping = true;
        _wake.Release();
    }

    private void Loop()
    {
        while (true)
        {
            _wake.Wait();
            if (_stopping)
            {
                return;
            }
            _mailbox.Run();
        }
    }
}
