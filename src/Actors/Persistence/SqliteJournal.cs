using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Actors.Persistence;

/// <summary>
/// The embedded journal: a SQLite file (WAL mode) in the data dir, created with its table on
/// first use. Appends of one batch run in one <c>BEGIN IMMEDIATE</c> transaction on a single
/// writer connection; reads use their own pooled connections and see committed data only.
/// </summary>
/// <remarks>
/// The table (shaped like Akka.Persistence.Sql's, plus the <c>deleted</c> flag its logical
/// delete needs):
/// <code>
/// journal(ordering INTEGER PRIMARY KEY AUTOINCREMENT, persistence_id TEXT, sequence_nr INTEGER,
///         created INTEGER (UTC ticks), manifest TEXT, payload BLOB, tags TEXT (';a;b;'),
///         deleted INTEGER, UNIQUE(persistence_id, sequence_nr))
/// </code>
/// AUTOINCREMENT keeps an ordering from ever being reused, so a projection's offset stays valid
/// after deletes. The contract (ownership, concurrency, conflicts) is <see cref="IJournal"/>'s.
/// </remarks>
public sealed class SqliteJournal : IJournal
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS journal (
            ordering INTEGER PRIMARY KEY AUTOINCREMENT,
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            created INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            tags TEXT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (persistence_id, sequence_nr)
        );
        """;

    // SQLITE_CONSTRAINT_UNIQUE: the (persistence_id, sequence_nr) key is taken.
    private const int SqliteConstraintUnique = 2067;

    private const string Columns = "ordering, persistence_id, sequence_nr, created, manifest, payload, tags";

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _clock;

    /// <param name="path">The database file; it and its directory are created when missing.</param>
    /// <param name="clock">Stamps <c>created</c>; the system clock by default.</param>
    public SqliteJournal(string path, TimeProvider? clock = null)
    {
        _database = new SqliteDatabase(path, Schema);
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The full path of the database file.</summary>
    public string Path => _database.Path;

    public Task AppendAsync(PersistenceId persistenceId, IReadOnlyList<JournalWrite> events, CancellationToken cancellationToken = default)
    {
        JournalArguments.ValidateBatch(persistenceId, events);
        return _database.WriteAsync((Journal: this, Id: persistenceId, Events: events), static (connection, state) =>
        {
            state.Journal.Append(connection, state.Id, state.Events);
            return 0;
        }, cancellationToken);
    }

    public async IAsyncEnumerable<JournalEntry> ReplayAsync(
        PersistenceId persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        JournalArguments.ValidateRange(fromSequenceNr, toSequenceNr, max);
        if (max == 0 || fromSequenceNr > toSequenceNr)
        {
            yield break;
        }
        using var connection = await _database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM journal
            WHERE persistence_id = $id AND sequence_nr >= $from AND sequence_nr <= $to AND deleted = 0
            ORDER BY sequence_nr LIMIT $max
            """;
        command.Parameters.AddWithValue("$id", persistenceId.Value);
        command.Parameters.AddWithValue("$from", fromSequenceNr);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return JournalArguments.ReadEntry(reader, persistenceId);
        }
    }

    public async Task<long> ReadHighestSequenceNrAsync(PersistenceId persistenceId, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        using var connection = await _database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(sequence_nr), 0) FROM journal WHERE persistence_id = $id";
        command.Parameters.AddWithValue("$id", persistenceId.Value);
        return (long)command.ExecuteScalar()!;
    }

    public Task DeleteToAsync(PersistenceId persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(toSequenceNr);
        return _database.WriteAsync((Id: persistenceId.Value, To: toSequenceNr), static (connection, state) =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // Mark everything up to toSequenceNr deleted, then drop all of it but the stream's
            // highest row, which keeps the highest sequence number (and the fence) in place.
            command.CommandText = """
                UPDATE journal SET deleted = 1
                WHERE persistence_id = $id AND sequence_nr <= $to AND deleted = 0;
                DELETE FROM journal
                WHERE persistence_id = $id AND sequence_nr <= $to
                  AND sequence_nr < (SELECT MAX(sequence_nr) FROM journal WHERE persistence_id = $id);
                """;
            command.Parameters.AddWithValue("$id", state.Id);
            command.Parameters.AddWithValue("$to", state.To);
            command.ExecuteNonQuery();
            transaction.Commit();
            return 0;
        }, cancellationToken);
    }

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default)
    {
        JournalArguments.ValidateRange(fromOrdering, 0, max);
        return ReadByOrderingAsync(tagKey: null, fromOrdering, max, cancellationToken);
    }

    public IAsyncEnumerable<JournalEntry> ReadByTagAsync(string tag, long fromOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default)
    {
        JournalArguments.ValidateTag(tag, nameof(tag));
        JournalArguments.ValidateRange(fromOrdering, 0, max);
        return ReadByOrderingAsync(JournalArguments.TagKey(tag), fromOrdering, max, cancellationToken);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    /// <summary>Inserts the batch in one transaction. Runs under the database's write lock.</summary>
    private void Append(SqliteConnection connection, PersistenceId persistenceId, IReadOnlyList<JournalWrite> events)
    {
        var insert = _database.Prepared("insert", PrepareInsert);
        var created = _clock.GetUtcNow().UtcTicks;
        using var transaction = connection.BeginTransaction(deferred: false);
        insert.Transaction = transaction;
        var parameters = insert.Parameters;
        parameters[0].Value = persistenceId.Value;
        parameters[2].Value = created;
        foreach (var write in events)
        {
            parameters[1].Value = write.SequenceNr;
            parameters[3].Value = write.Manifest;
            parameters[4].Value = SqliteBlob.AsArray(write.Payload);
            parameters[5].Value = (object?)JournalArguments.EncodeTags(write.Tags) ?? DBNull.Value;
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode == SqliteConstraintUnique)
            {
                // Disposing the transaction rolls back the rows inserted so far: all or none.
                throw new JournalConflictException(persistenceId, write.SequenceNr, e);
            }
            finally
            {
                parameters[4].Value = null;
            }
        }
        transaction.Commit();
    }

    private static SqliteCommand PrepareInsert(SqliteConnection connection)
    {
        var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO journal (persistence_id, sequence_nr, created, manifest, payload, tags)
            VALUES ($id, $seq, $created, $manifest, $payload, $tags)
            """;
        insert.Parameters.Add("$id", SqliteType.Text);
        insert.Parameters.Add("$seq", SqliteType.Integer);
        insert.Parameters.Add("$created", SqliteType.Integer);
        insert.Parameters.Add("$manifest", SqliteType.Text);
        insert.Parameters.Add("$payload", SqliteType.Blob);
        insert.Parameters.Add("$tags", SqliteType.Text);
        return insert;
    }

    private async IAsyncEnumerable<JournalEntry> ReadByOrderingAsync(
        string? tagKey, long fromOrdering, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (max == 0)
        {
            yield break;
        }
        using var connection = await _database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        var tagFilter = tagKey is null ? "" : "AND instr(tags, $tag) > 0";
        command.CommandText = $"""
            SELECT {Columns} FROM journal
            WHERE ordering > $from AND deleted = 0 {tagFilter}
            ORDER BY ordering LIMIT $max
            """;
        command.Parameters.AddWithValue("$from", fromOrdering);
        command.Parameters.AddWithValue("$max", max);
        if (tagKey is not null)
        {
            command.Parameters.AddWithValue("$tag", tagKey);
        }
        using var reader = command.ExecuteReader();
        string? lastId = null;
        var lastPersistenceId = default(PersistenceId);
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = reader.GetString(1);
            if (id != lastId)
            {
                lastId = id;
                lastPersistenceId = new PersistenceId(id);
            }
            yield return JournalArguments.ReadEntry(reader, lastPersistenceId);
        }
    }
}
