using Actors.Persistence;

namespace Actors.Tests.Persistence;

/// <summary>
/// The journal contract on PostgreSQL (<c>ACTORS_TEST_POSTGRES</c>; skipped, with the reason,
/// when it is not set). Each test works in a schema of its own, dropped afterwards.
/// </summary>
[RequiresPostgres]
public sealed class PostgresJournalContractTests : JournalContractTests
{
    private readonly string _schema = PostgresTestDatabase.NewSchema();

    protected override Task<(IJournal Journal, ISnapshotStore Snapshots)> CreateStoresAsync()
    {
        var connectionString = PostgresTestDatabase.ConnectionString!;
        return Task.FromResult<(IJournal, ISnapshotStore)>(
            (new PostgresJournal(connectionString, _schema), new PostgresSnapshotStore(connectionString, _schema)));
    }

    protected override Task CleanUpAsync() => PostgresTestDatabase.DropSchemaAsync(_schema);

    [PostgresFact]
    public async Task The_tables_are_created_in_the_configured_schema_with_the_unique_key()
    {
        await Journal.AppendAsync(new PersistenceId("schema"), [new JournalWrite(1, "test.event.v1", new byte[] { 1 })]);
        await Snapshots.SaveAsync(new SnapshotEntry(new PersistenceId("schema"), 1, DateTime.UtcNow, "test.state.v1", new byte[] { 1 }));

        await using var connection = new Npgsql.NpgsqlConnection(PostgresTestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('journal', 'snapshot')", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = _schema });
        Assert.Equal(2L, (long)(await command.ExecuteScalarAsync())!);
    }
}
