using System.Collections.Immutable;
using System.Text;
using Actors.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// The contract of <see cref="IJournal"/> and <see cref="ISnapshotStore"/>, run against every
/// implementation (one subclass each). Each test gets fresh, empty stores.
/// </summary>
public abstract class JournalContractTests : IAsyncLifetime
{
    private IJournal? _journal;
    private ISnapshotStore? _snapshots;

    protected IJournal Journal => _journal ?? throw new InvalidOperationException("The journal is made in InitializeAsync.");

    protected ISnapshotStore Snapshots => _snapshots ?? throw new InvalidOperationException("The snapshot store is made in InitializeAsync.");

    /// <summary>Makes an empty journal and snapshot store for one test.</summary>
    protected abstract Task<(IJournal Journal, ISnapshotStore Snapshots)> CreateStoresAsync();

    /// <summary>Removes what <see cref="CreateStoresAsync"/> made, after the stores were disposed.</summary>
    protected abstract Task CleanUpAsync();

    public async Task InitializeAsync() => (_journal, _snapshots) = await CreateStoresAsync();

    public async Task DisposeAsync()
    {
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
        }
        if (_snapshots is not null)
        {
            await _snapshots.DisposeAsync();
        }
        await CleanUpAsync();
    }

    [ContractFact]
    public async Task A_fresh_journal_has_no_events_and_no_snapshots()
    {
        var id = NewId();
        Assert.Equal(0, await Journal.ReadHighestSequenceNrAsync(id));
        Assert.Empty(await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue)));
        Assert.Empty(await ToListAsync(Journal.ReadAllAsync(0)));
        Assert.Null(await Snapshots.LoadAsync(id));
    }

    [ContractFact]
    public async Task Appended_events_replay_in_sequence_order_with_their_manifest_payload_and_tags()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [Write(1, "a", "blue"), Write(2, "b")]);
        await Journal.AppendAsync(id, [Write(3, "c", "blue", "red")]);

        var replayed = await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue));

        Assert.Equal([1L, 2L, 3L], replayed.Select(e => e.SequenceNr));
        Assert.Equal(["a", "b", "c"], replayed.Select(Text));
        Assert.All(replayed, e => Assert.Equal("test.event.v1", e.Manifest));
        Assert.All(replayed, e => Assert.Equal(id, e.PersistenceId));
        Assert.Equal(["blue"], replayed[0].Tags.ToArray());
        Assert.Empty(replayed[1].Tags);
        Assert.Equal(["blue", "red"], replayed[2].Tags.ToArray());
        Assert.True(replayed[0].Ordering < replayed[1].Ordering && replayed[1].Ordering < replayed[2].Ordering);
        Assert.All(replayed, e => Assert.Equal(DateTimeKind.Utc, e.Created.Kind));
        Assert.All(replayed, e => Assert.InRange(e.Created, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5)));
    }

    [ContractFact]
    public async Task Replay_returns_only_the_requested_range_up_to_max()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [.. Enumerable.Range(1, 10).Select(i => Write(i, $"e{i}"))]);

        Assert.Equal([4L, 5L, 6L], (await ToListAsync(Journal.ReplayAsync(id, 4, 6))).Select(e => e.SequenceNr));
        Assert.Equal([3L, 4L], (await ToListAsync(Journal.ReplayAsync(id, 3, long.MaxValue, max: 2))).Select(e => e.SequenceNr));
        Assert.Empty(await ToListAsync(Journal.ReplayAsync(id, 11, long.MaxValue)));
        Assert.Empty(await ToListAsync(Journal.ReplayAsync(id, 1, 10, max: 0)));
    }

    [ContractFact]
    public async Task Streams_are_independent()
    {
        var (first, second) = (NewId(), NewId());
        await Journal.AppendAsync(first, [Write(1, "first-1"), Write(2, "first-2")]);
        await Journal.AppendAsync(second, [Write(1, "second-1")]);

        Assert.Equal(["first-1", "first-2"], (await ToListAsync(Journal.ReplayAsync(first, 1, long.MaxValue))).Select(Text));
        Assert.Equal(["second-1"], (await ToListAsync(Journal.ReplayAsync(second, 1, long.MaxValue))).Select(Text));
        Assert.Equal(2, await Journal.ReadHighestSequenceNrAsync(first));
        Assert.Equal(1, await Journal.ReadHighestSequenceNrAsync(second));
    }

    [ContractFact]
    public async Task Appending_a_taken_sequence_number_throws_JournalConflictException_naming_the_stream_and_number()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [Write(1, "mine"), Write(2, "mine")]);

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.AppendAsync(id, [Write(2, "theirs")]));

        Assert.Equal(id, conflict.PersistenceId);
        Assert.Equal(2, conflict.SequenceNr);
        Assert.Contains(id.Value, conflict.Message);
        Assert.Contains("2", conflict.Message);
        Assert.Equal(["mine", "mine"], (await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue))).Select(Text));
    }

    [ContractFact]
    public async Task A_batch_with_one_taken_sequence_number_writes_none_of_its_events()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [Write(1, "one"), Write(2, "two")]);
        await Journal.AppendAsync(id, [Write(4, "four")]);

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(
            () => Journal.AppendAsync(id, [Write(3, "three"), Write(4, "other four"), Write(5, "five")]));

        Assert.Equal(4, conflict.SequenceNr);
        var stored = await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue));
        Assert.Equal([1L, 2L, 4L], stored.Select(e => e.SequenceNr));
        Assert.Equal("four", Text(stored[2]));
        Assert.Equal(4, await Journal.ReadHighestSequenceNrAsync(id));
    }

    [ContractFact]
    public async Task Of_two_writers_racing_for_the_same_sequence_numbers_exactly_one_wins()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [Write(1, "start")]);

        var attempts = Enumerable.Range(0, 8)
            .Select(writer => Task.Run(() => Journal.AppendAsync(id, [Write(2, $"writer {writer}"), Write(3, $"writer {writer}")])))
            .ToArray();
        var outcomes = await Task.WhenAll(attempts.Select(async attempt =>
        {
            try
            {
                await attempt;
                return "won";
            }
            catch (JournalConflictException)
            {
                return "conflict";
            }
        }));

        Assert.Single(outcomes, o => o == "won");
        Assert.Equal(7, outcomes.Count(o => o == "conflict"));
        var stored = await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue));
        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.SequenceNr));
        Assert.Equal(Text(stored[1]), Text(stored[2]));
    }

    [ContractFact]
    public async Task Delete_to_hides_the_events_but_keeps_the_highest_sequence_number_and_the_fence()
    {
        var id = NewId();
        await Journal.AppendAsync(id, [.. Enumerable.Range(1, 5).Select(i => Write(i, $"e{i}"))]);

        await Journal.DeleteToAsync(id, 3);
        Assert.Equal([4L, 5L], (await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue))).Select(e => e.SequenceNr));
        Assert.Equal(5, await Journal.ReadHighestSequenceNrAsync(id));

        await Journal.DeleteToAsync(id, 5);
        await Journal.DeleteToAsync(id, 5);
        Assert.Empty(await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue)));
        Assert.Equal(5, await Journal.ReadHighestSequenceNrAsync(id));
        var conflict = await Assert.ThrowsAsync<JournalConflictException>(() => Journal.AppendAsync(id, [Write(5, "again")]));
        Assert.Equal(5, conflict.SequenceNr);

        await Journal.AppendAsync(id, [Write(6, "e6")]);
        Assert.Equal(["e6"], (await ToListAsync(Journal.ReplayAsync(id, 1, long.MaxValue))).Select(Text));
    }

    [ContractFact]
    public async Task Reading_by_tag_returns_the_tagged_events_of_every_stream_in_global_order_after_the_offset()
    {
        var (first, second) = (NewId(), NewId());
        await Journal.AppendAsync(first, [Write(1, "f1", "node"), Write(2, "f2")]);
        await Journal.AppendAsync(second, [Write(1, "s1", "export", "node")]);
        await Journal.AppendAsync(first, [Write(3, "f3", "nodes")]);
        await Journal.AppendAsync(first, [Write(4, "f4", "node")]);

        var tagged = await ToListAsync(Journal.ReadByTagAsync("node", 0));

        Assert.Equal(["f1", "s1", "f4"], tagged.Select(Text));
        Assert.Equal([first, second, first], tagged.Select(e => e.PersistenceId));
        var afterFirst = await ToListAsync(Journal.ReadByTagAsync("node", tagged[0].Ordering));
        Assert.Equal(["s1", "f4"], afterFirst.Select(Text));
        Assert.Equal(["f1"], (await ToListAsync(Journal.ReadByTagAsync("node", 0, max: 1))).Select(Text));
        Assert.Empty(await ToListAsync(Journal.ReadByTagAsync("nothing", 0)));
    }

    [ContractFact]
    public async Task Reading_all_returns_every_stream_in_global_order_from_an_offset()
    {
        var (first, second) = (NewId(), NewId());
        await Journal.AppendAsync(first, [Write(1, "f1")]);
        await Journal.AppendAsync(second, [Write(1, "s1"), Write(2, "s2")]);
        await Journal.AppendAsync(first, [Write(2, "f2")]);

        var all = await ToListAsync(Journal.ReadAllAsync(0));

        Assert.Equal(["f1", "s1", "s2", "f2"], all.Select(Text));
        Assert.Equal(all.Select(e => e.Ordering).Order(), all.Select(e => e.Ordering));
        Assert.Equal(["s2", "f2"], (await ToListAsync(Journal.ReadAllAsync(all[1].Ordering))).Select(Text));
        Assert.Equal(["s1"], (await ToListAsync(Journal.ReadAllAsync(all[0].Ordering, max: 1))).Select(Text));
    }

    [ContractFact]
    public async Task A_payload_slice_is_stored_as_the_slice_and_the_caller_keeps_its_buffer()
    {
        var id = NewId();
        var buffer = Encoding.UTF8.GetBytes("xxpayloadyy");

        await Journal.AppendAsync(id, [new JournalWrite(1, "test.event.v1", buffer.AsMemory(2, 7))]);
        buffer.AsSpan().Fill((byte)'z');

        var stored = Assert.Single(await ToListAsync(Journal.ReplayAsync(id, 1, 1)));
        Assert.Equal("payload", Text(stored));
    }

    [ContractFact]
    public async Task Bad_appends_are_rejected_before_anything_is_written()
    {
        var id = NewId();
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.AppendAsync(id, []));
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.AppendAsync(id, [Write(2, "a"), Write(2, "b")]));
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.AppendAsync(id, [Write(0, "zero")]));
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.AppendAsync(id, [Write(1, "tag", "a;b")]));
        await Assert.ThrowsAsync<ArgumentException>(() => Journal.AppendAsync(default, [Write(1, "no id")]));
        Assert.Equal(0, await Journal.ReadHighestSequenceNrAsync(id));
    }

    [ContractFact]
    public async Task Snapshots_load_the_latest_at_or_below_the_sequence_number()
    {
        var id = NewId();
        await Snapshots.SaveAsync(Snapshot(id, 10, "ten"));
        await Snapshots.SaveAsync(Snapshot(id, 20, "twenty"));
        await Snapshots.SaveAsync(Snapshot(NewId(), 30, "other stream"));

        Assert.Equal("twenty", Text(await Snapshots.LoadAsync(id)));
        Assert.Equal("twenty", Text(await Snapshots.LoadAsync(id, 20)));
        Assert.Equal("ten", Text(await Snapshots.LoadAsync(id, 19)));
        Assert.Null(await Snapshots.LoadAsync(id, 9));
        var loaded = await Snapshots.LoadAsync(id, 15);
        Assert.Equal(10, loaded!.SequenceNr);
        Assert.Equal("test.state.v1", loaded.Manifest);
        Assert.Equal(id, loaded.PersistenceId);
        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), loaded.Created);
    }

    [ContractFact]
    public async Task Saving_a_snapshot_at_the_same_sequence_number_replaces_it()
    {
        var id = NewId();
        await Snapshots.SaveAsync(Snapshot(id, 10, "first"));
        await Snapshots.SaveAsync(Snapshot(id, 10, "second"));

        Assert.Equal("second", Text(await Snapshots.LoadAsync(id)));
    }

    [ContractFact]
    public async Task Deleting_snapshots_removes_those_at_or_below_the_sequence_number()
    {
        var id = NewId();
        foreach (var sequenceNr in new long[] { 10, 20, 30 })
        {
            await Snapshots.SaveAsync(Snapshot(id, sequenceNr, $"s{sequenceNr}"));
        }

        await Snapshots.DeleteAsync(id, 20);

        Assert.Null(await Snapshots.LoadAsync(id, 29));
        Assert.Equal("s30", Text(await Snapshots.LoadAsync(id)));
    }

    private static PersistenceId NewId() => new($"contract-{Guid.NewGuid():N}");

    private static JournalWrite Write(long sequenceNr, string text, params string[] tags) =>
        new(sequenceNr, "test.event.v1", Encoding.UTF8.GetBytes(text), [.. tags]);

    private static SnapshotEntry Snapshot(PersistenceId id, long sequenceNr, string text) =>
        new(id, sequenceNr, new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc), "test.state.v1", Encoding.UTF8.GetBytes(text));

    private static string Text(JournalEntry entry) => Encoding.UTF8.GetString(entry.Payload);

    private static string? Text(SnapshotEntry? entry) => entry is null ? null : Encoding.UTF8.GetString(entry.Payload.Span);

    private static async Task<List<JournalEntry>> ToListAsync(IAsyncEnumerable<JournalEntry> entries)
    {
        var list = new List<JournalEntry>();
        await foreach (var entry in entries)
        {
            list.Add(entry);
        }
        return list;
    }
}
