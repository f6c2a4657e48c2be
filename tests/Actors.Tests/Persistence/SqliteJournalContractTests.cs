using Actors.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>The journal contract on SQLite: a fresh file in a temp directory per test.</summary>
public sealed class SqliteJournalContractTests : JournalContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-journal-").FullName;

    protected override Task<(IJournal Journal, ISnapshotStore Snapshots)> CreateStoresAsync()
    {
        var path = Path.Combine(_directory, "journal.db");
        return Task.FromResult<(IJournal, ISnapshotStore)>((new SqliteJournal(path), new SqliteSnapshotStore(path)));
    }

    protected override Task CleanUpAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_file_is_created_in_WAL_mode_with_its_directory_on_first_use()
    {
        var path = Path.Combine(_directory, "nested", "data", "journal.db");
        await using (var journal = new SqliteJournal(path))
        {
            Assert.False(File.Exists(path));
            await journal.AppendAsync(new PersistenceId("wal"), [new JournalWrite(1, "test.event.v1", new byte[] { 1 })]);
        }

        Assert.True(File.Exists(path));
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Events_survive_reopening_the_file()
    {
        var path = Path.Combine(_directory, "reopen.db");
        var id = new PersistenceId("reopen");
        await using (var journal = new SqliteJournal(path))
        {
            await journal.AppendAsync(id, [new JournalWrite(1, "test.event.v1", new byte[] { 7 }), new JournalWrite(2, "test.event.v1", new byte[] { 8 })]);
        }

        await using var reopened = new SqliteJournal(path);
        Assert.Equal(2, await reopened.ReadHighestSequenceNrAsync(id));
        await Assert.ThrowsAsync<JournalConflictException>(() => reopened.AppendAsync(id, [new JournalWrite(2, "test.event.v1", new byte[] { 9 })]));
    }
}
