using Microsoft.Data.Sqlite;

namespace Actors.Persistence;

/// <summary>
/// The embedded snapshot store: table <c>snapshot(persistence_id, sequence_nr, created (UTC
/// ticks), manifest, payload)</c>, primary key <c>(persistence_id, sequence_nr)</c>, in a SQLite
/// file (usually the journal's) created on first use. Contract: <see cref="ISnapshotStore"/>.
/// </summary>
public sealed class SqliteSnapshotStore : ISnapshotStore
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS snapshot (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            created INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        """;

    private readonly SqliteDatabase _database;

    /// <param name="path">The database file; it and its directory are created when missing.</param>
    public SqliteSnapshotStore(string path) => _database = new SqliteDatabase(path, Schema);

    /// <summary>The full path of the database file.</summary>
    public string Path => _database.Path;

    public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        SnapshotArguments.Validate(snapshot);
        return _database.WriteAsync(snapshot, static (connection, snapshot) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO snapshot (persistence_id, sequence_nr, created, manifest, payload)
                VALUES ($id, $seq, $created, $manifest, $payload)
                ON CONFLICT (persistence_id, sequence_nr)
                DO UPDATE SET created = excluded.created, manifest = excluded.manifest, payload = excluded.payload
                """;
            command.Parameters.AddWithValue("$id", snapshot.PersistenceId.Value);
            command.Parameters.AddWithValue("$seq", snapshot.SequenceNr);
            command.Parameters.AddWithValue("$created", snapshot.Created.ToUniversalTime().Ticks);
            command.Parameters.AddWithValue("$manifest", snapshot.Manifest);
            command.Parameters.Add("$payload", SqliteType.Blob).Value = SqliteBlob.AsArray(snapshot.Payload);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public async Task<SnapshotEntry?> LoadAsync(PersistenceId persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequenceNr);
        using var connection = await _database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence_nr, created, manifest, payload FROM snapshot
            WHERE persistence_id = $id AND sequence_nr <= $max
            ORDER BY sequence_nr DESC LIMIT 1
            """;
        command.Parameters.AddWithValue("$id", persistenceId.Value);
        command.Parameters.AddWithValue("$max", maxSequenceNr);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SnapshotEntry(persistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc), reader.GetString(2), reader.GetFieldValue<byte[]>(3))
            : null;
    }

    public Task DeleteAsync(PersistenceId persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequenceNr);
        return _database.WriteAsync((Id: persistenceId.Value, Max: maxSequenceNr), static (connection, state) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM snapshot WHERE persistence_id = $id AND sequence_nr <= $max";
            command.Parameters.AddWithValue("$id", state.Id);
            command.Parameters.AddWithValue("$max", state.Max);
            return command.ExecuteNonQuery();
        }, cancellationToken);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
