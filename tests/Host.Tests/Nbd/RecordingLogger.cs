using Microsoft.Extensions.Logging;

namespace Host.Tests.Nbd;

/// <summary>One line the server logged.</summary>
public sealed record LogLine(LogLevel Level, string Message, Exception? Exception);

/// <summary>
/// Keeps what the NBD server logs, so a test can wait for the line it expects (a connection
/// logs why it ended only after its socket closed, so the line may follow what the client saw).
/// </summary>
public sealed class RecordingLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<LogLine> _lines = [];
    private readonly List<(Func<LogLine, bool> Match, TaskCompletionSource<LogLine> Found)> _waiters = [];

    /// <summary>The first line that matches, waiting up to <see cref="NbdHost.Timeout"/> for it.</summary>
    public Task<LogLine> WaitForAsync(Func<LogLine, bool> match)
    {
        var found = new TaskCompletionSource<LogLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return Task.FromResult(line);
            }
            _waiters.Add((match, found));
        }
        return found.Task.WaitAsync(NbdHost.Timeout);
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = new LogLine(logLevel, formatter(state, exception), exception);
        List<TaskCompletionSource<LogLine>> found = [];
        lock (_lock)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                found.Add(waiter.Found);
            }
        }
        // Completed outside the lock: a waiter's continuation may log again.
        foreach (var waiter in found)
        {
            waiter.TrySetResult(line);
        }
    }
}
