using System.Data.Common;
using System.Runtime.Serialization;
using System.Text.Json;
using Actors.Serialization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Nodes.Lifecycle;

/// <summary>
/// Reads the graph's history from a data dir written before the move to Akka.Persistence: the
/// SQLite file <c>journal.db</c> of the old embedded journal (tables <c>journal</c> and
/// <c>snapshot</c>), stream <c>block-graph</c>, so the graph's owner can persist it once into
/// the new journal (DESIGN §7: migrated once at start, nothing lost). The old cluster journal
/// on PostgreSQL (same tables) is read by <see cref="ReadPostgres"/>.
/// </summary>
/// <remarks>
/// <para>The old file is never written, nor are files put beside it: SQLite creates
/// <c>-wal</c>/<c>-shm</c> files even for a read-only connection on a WAL-mode file, so the
/// file (with its <c>-wal</c>, which may hold the last commits of a host that crashed) is
/// copied to a temporary directory and the copy is read. The old host must not be running.</para>
/// <para>Use: when the graph's owner finds its own stream empty after recovery
/// (<c>LastSequenceNr == 0</c>), read the old history, apply it to a <c>BlockGraph</c> and
/// persist <c>graph.Compact()</c>; the old file stays as it is, and the next start finds the new
/// stream and never reads the old one again.</para>
/// <para>Old tables: <c>journal(ordering, persistence_id, sequence_nr, created, manifest, payload,
/// tags, deleted)</c>, <c>snapshot(persistence_id, sequence_nr, created, manifest, payload)</c>.
/// Event payloads are the old serializer's JSON, which <see cref="ManifestSerializer"/> reads
/// under the same manifests. The snapshot (<see cref="SnapshotManifest"/>) is a JSON array of
/// <c>{"Manifest": "...", "Payload": "&lt;base64 of the event's JSON&gt;"}</c>.</para>
/// </remarks>
public static class LegacyGraphJournal
{
    /// <summary>The old journal's file name in the data dir (<c>actors.persistence.sqlite.path</c> of old configs).</summary>
    public const string FileName = "journal.db";

    /// <summary>The graph's stream in the old journal.</summary>
    public const string PersistenceId = "block-graph";

    /// <summary>The manifest of the old snapshot format.</summary>
    public const string SnapshotManifest = "graph.compacted-history.v1";

    /// <summary>
    /// The graph's history in the old journal at <paramref name="journalFile"/>: the latest
    /// snapshot's events, then the events persisted after it. Null when there is no such file,
    /// no old journal table in it, or no <paramref name="persistenceId"/> stream.
    /// </summary>
    /// <param name="journalFile">The old <c>journal.db</c> (e.g. <c>Path.Combine(dataDir, FileName)</c>).</param>
    /// <param name="serialization">Akka's serialization, with <see cref="ManifestSerializer"/> configured.</param>
    /// <param name="persistenceId">The stream to read.</param>
    /// <exception cref="InvalidDataException">The file holds something this reader does not know (a corrupt or newer journal).</exception>
    public static IReadOnlyList<IGraphEvent>? ReadSqlite(string journalFile, Akka.Serialization.Serialization serialization, string persistenceId = PersistenceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalFile);
        ArgumentNullException.ThrowIfNull(serialization);
        if (!File.Exists(journalFile))
        {
            return null;
        }
        var copyDirectory = Directory.CreateTempSubdirectory("legacy-journal-");
        try
        {
            var copy = Path.Combine(copyDirectory.FullName, FileName);
            File.Copy(journalFile, copy);
            if (File.Exists(journalFile + "-wal"))
            {
                File.Copy(journalFile + "-wal", copy + "-wal");
            }
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = copy,
                Mode = SqliteOpenMode.ReadWrite,
                Pooling = false,
            }.ToString());
            connection.Open();
            return ReadOpened(connection, journalFile, serialization, persistenceId);
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException($"{journalFile} is not a readable journal: {e.Message}", e);
        }
        finally
        {
            copyDirectory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The same as <see cref="ReadSqlite"/> for the old cluster journal on PostgreSQL (tables
    /// <c>journal</c> and <c>snapshot</c> in <paramref name="schema"/>, <c>actors.persistence.postgres.schema</c>
    /// of old configs). Only reads.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string (<c>actors.persistence.postgres.connection-string</c> of old configs).</param>
    /// <param name="schema">The schema of the old tables.</param>
    /// <param name="serialization">Akka's serialization, with <see cref="ManifestSerializer"/> configured.</param>
    /// <param name="persistenceId">The stream to read.</param>
    /// <exception cref="InvalidDataException">The tables hold something this reader does not know.</exception>
    public static IReadOnlyList<IGraphEvent>? ReadPostgres(string connectionString, string schema, Akka.Serialization.Serialization serialization, string persistenceId = PersistenceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(schema);
        ArgumentNullException.ThrowIfNull(serialization);
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var journal = $"\"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".journal";
        var snapshot = $"\"{schema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".snapshot";
        bool Exists(string table)
        {
            using var command = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
            command.Parameters.AddWithValue("table", table);
            return (bool)command.ExecuteScalar()!;
        }
        if (!Exists(journal))
        {
            return null;
        }
        return Read(connection, journal, Exists(snapshot) ? snapshot : null, $"PostgreSQL schema '{schema}'", serialization, persistenceId);
    }

    private static List<IGraphEvent>? ReadOpened(SqliteConnection connection, string where, Akka.Serialization.Serialization serialization, string persistenceId)
    {
        bool Exists(string table)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @name";
            command.Parameters.AddWithValue("@name", table);
            return (long)command.ExecuteScalar()! > 0;
        }
        if (!Exists("journal"))
        {
            return null;
        }
        return Read(connection, "journal", Exists("snapshot") ? "snapshot" : null, where, serialization, persistenceId);
    }

    /// <summary>The latest snapshot's events, then the events after it; null when the stream has neither. Same SQL on both databases.</summary>
    private static List<IGraphEvent>? Read(DbConnection connection, string journalTable, string? snapshotTable, string where, Akka.Serialization.Serialization serialization, string persistenceId)
    {
        var history = new List<IGraphEvent>();
        var found = false;
        var after = 0L;
        if (snapshotTable is not null)
        {
            using var command = Command(connection, $"""
                SELECT sequence_nr, manifest, payload FROM {snapshotTable}
                WHERE persistence_id = @id ORDER BY sequence_nr DESC LIMIT 1
                """, ("id", persistenceId));
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                found = true;
                after = reader.GetInt64(0);
                var manifest = reader.GetString(1);
                if (manifest != SnapshotManifest)
                {
                    throw new InvalidDataException($"{where}: the '{persistenceId}' snapshot at {after} is a '{manifest}', not a '{SnapshotManifest}'.");
                }
                history.AddRange(ReadSnapshot(reader.GetFieldValue<byte[]>(2), where, serialization));
            }
        }
        using (var command = Command(connection, $"""
            SELECT sequence_nr, manifest, payload FROM {journalTable}
            WHERE persistence_id = @id AND sequence_nr > @after AND NOT deleted
            ORDER BY sequence_nr
            """, ("id", persistenceId), ("after", after)))
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                found = true;
                history.Add(Event(serialization, reader.GetString(1), reader.GetFieldValue<byte[]>(2), $"{where}: event {reader.GetInt64(0)}"));
            }
        }
        return found ? history : null;
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static IEnumerable<IGraphEvent> ReadSnapshot(byte[] payload, string journalFile, Akka.Serialization.Serialization serialization)
    {
        using var document = JsonDocument.Parse(payload);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{journalFile}: the snapshot is not a JSON array.");
        }
        var events = new List<IGraphEvent>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var where = $"{journalFile}: snapshot item {events.Count}";
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("Manifest", out var manifest) || manifest.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("Payload", out var bytes) || bytes.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{where} is not {{\"Manifest\": string, \"Payload\": base64}}.");
            }
            events.Add(Event(serialization, manifest.GetString()!, bytes.GetBytesFromBase64(), where));
        }
        return events;
    }

    private static IGraphEvent Event(Akka.Serialization.Serialization serialization, string manifest, byte[] payload, string where)
    {
        object message;
        try
        {
            message = serialization.Deserialize(payload, ManifestSerializer.Id, manifest);
        }
        catch (SerializationException e)
        {
            throw new InvalidDataException($"{where} ('{manifest}') cannot be read: {e.Message}", e);
        }
        return message as IGraphEvent ?? throw new InvalidDataException($"{where} ('{manifest}') is not a graph event.");
    }
}
