using System.Runtime.CompilerServices;
using Actors.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// A journal that holds appends and replays at a gate the test opens, so a test can act while a
/// write or a recovery is provably in flight. Everything else goes straight to the inner journal.
/// </summary>
public sealed class GatedJournal(IJournal inner) : IJournal
{
    private readonly TaskCompletionSource _appendGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _replayGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _appendReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _replayReached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private volatile bool _holdAppends;
    private volatile bool _holdReplays;
    private int _appends;

    /// <summary>Appends from now on wait at the gate (set from the test thread, read by the actor's).</summary>
    public bool HoldAppends { get => _holdAppends; set => _holdAppends = value; }

    public bool HoldReplays { get => _holdReplays; set => _holdReplays = value; }

    /// <summary>How many appends (batches) were asked for.</summary>
    public int Appends => Volatile.Read(ref _appends);

    /// <summary>Completes when the first held append arrived at the gate.</summary>
    public Task AppendReached => _appendReached.Task;

    /// <summary>Completes when the first held replay arrived at the gate.</summary>
    public Task ReplayReached => _replayReached.Task;

    public void OpenAppends() => _appendGate.TrySetResult();

    public void OpenReplays() => _replayGate.TrySetResult();

    public async Task AppendAsync(PersistenceId persistenceId, IReadOnlyList<JournalWrite> events, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _appends);
        if (HoldAppends)
        {
            _appendReached.TrySetResult();
            await _appendGate.Task.ConfigureAwait(false);
        }
        await inner.AppendAsync(persistenceId, events, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<JournalEntry> ReplayAsync(
        PersistenceId persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (HoldReplays)
        {
            _replayReached.TrySetResult();
            await _replayGate.Task.ConfigureAwait(false);
        }
        await foreach (var entry in inner.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }

    public Task<long> ReadHighestSequenceNrAsync(PersistenceId persistenceId, CancellationToken cancellationToken = default) =>
        inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteToAsync(PersistenceId persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) =>
        inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(fromOrdering, max, cancellationToken);

    public IAsyncEnumerable<JournalEntry> ReadByTagAsync(string tag, long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default) =>
        inner.ReadByTagAsync(tag, fromOrdering, max, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
