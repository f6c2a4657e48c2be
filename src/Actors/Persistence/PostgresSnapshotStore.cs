using Npgsql;
using NpgsqlTypes;

namespace Actors.Persistence;

/// <summary>
/// Snapshots on PostgreSQL: table <c>snapshot(persistence_id, sequence_nr, created (UTC ticks),
/// manifest, payload)</c>, primary key <c>(persistence_id, sequence_nr)</c>, created in
/// <see cref="Schema"/> when missing. Contract: <see cref="ISnapshotStore"/>.
/// </summary>
public sealed class PostgresSnapshotStore : ISnapshotStore
{
    private const string CreateTable = """
        CREATE TABLE IF NOT EXISTS {table} (
            persistence_id VARCHAR(255) NOT NULL,
            sequence_nr BIGINT NOT NULL,
            created BIGINT NOT NULL,
            manifest TEXT NOT NULL,
            payload BYTEA NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        """;

    private readonly PostgresDatabase _database;

    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema of the <c>snapshot</c> table (created when missing).</param>
    public PostgresSnapshotStore(string connectionString, string schema = "public") =>
        _database = new PostgresDatabase(connectionString, schema, "snapshot", CreateTable);

    public string Schema => _database.Schema;

    public async Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        SnapshotArguments.Validate(snapshot);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {_database.QualifiedTable} (persistence_id, sequence_nr, created, manifest, payload)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (persistence_id, sequence_nr)
            DO UPDATE SET created = EXCLUDED.created, manifest = EXCLUDED.manifest, payload = EXCLUDED.payload
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = snapshot.PersistenceId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = snapshot.SequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = snapshot.Created.ToUniversalTime().Ticks });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = snapshot.Manifest });
        command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = snapshot.Payload, NpgsqlDbType = NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<SnapshotEntry?> LoadAsync(PersistenceId persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequenceNr);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT sequence_nr, created, manifest, payload FROM {_database.QualifiedTable}
            WHERE persistence_id = $1 AND sequence_nr <= $2
            ORDER BY sequence_nr DESC LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxSequenceNr });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SnapshotEntry(persistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc), reader.GetString(2), reader.GetFieldValue<byte[]>(3))
            : null;
    }

    public async Task DeleteAsync(PersistenceId persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequenceNr);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"DELETE FROM {_database.QualifiedTable} WHERE persistence_id = $1 AND sequence_nr <= $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxSequenceNr });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
