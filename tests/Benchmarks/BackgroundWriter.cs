namespace Benchmarks;

/// <summary>
/// A thread that takes the write side now and then: one write, then a ~1 ms sleep, until
/// disposed. It counts its writes so a run can show how much contention it really saw.
/// </summary>
internal sealed class BackgroundWriter : IDisposable
{
    private readonly Action _write;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _writes;

    public BackgroundWriter(string name, Action write)
    {
        Name = name;
        _write = write;
        _thread = new Thread(Run) { IsBackground = true, Name = "writer " + name };
        _thread.Start();
    }

    public string Name { get; }

    public long Writes => Interlocked.Read(ref _writes);

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stopping)
        {
            _write();
            Interlocked.Increment(ref _writes);
            Thread.Sleep(1);
        }
    }
}
