using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Actors.Persistence;

/// <summary>
/// The cluster journal on PostgreSQL (Npgsql). Same contract as <see cref="IJournal"/>; the
/// table is created in <see cref="Schema"/> when missing:
/// <code>
/// journal(ordering BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, persistence_id VARCHAR(255),
///         sequence_nr BIGINT, created BIGINT (UTC ticks), manifest TEXT, payload BYTEA,
///         tags TEXT (';a;b;'), deleted BOOLEAN, UNIQUE(persistence_id, sequence_nr))
/// </code>
/// An append is one <see cref="NpgsqlBatch"/> (one round trip) that PostgreSQL runs as one
/// implicit transaction; a unique violation (SQLSTATE 23505) becomes
/// <see cref="JournalConflictException"/> naming the first taken sequence number of the batch.
/// </summary>
public sealed class PostgresJournal : IJournal
{
    private const string CreateTable = """
        CREATE TABLE IF NOT EXISTS {table} (
            ordering BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            persistence_id VARCHAR(255) NOT NULL,
            sequence_nr BIGINT NOT NULL,
            created BIGINT NOT NULL,
            manifest TEXT NOT NULL,
            payload BYTEA NOT NULL,
            tags TEXT NULL,
            deleted BOOLEAN NOT NULL DEFAULT FALSE,
            UNIQUE (persistence_id, sequence_nr)
        );
        """;

    private const string Columns = "ordering, persistence_id, sequence_nr, created, manifest, payload, tags";

    private readonly PostgresDatabase _database;
    private readonly TimeProvider _clock;
    private readonly string _insert;

    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema of the <c>journal</c> table (created when missing).</param>
    /// <param name="clock">Stamps <c>created</c>; the system clock by default.</param>
    public PostgresJournal(string connectionString, string schema = "public", TimeProvider? clock = null)
    {
        _database = new PostgresDatabase(connectionString, schema, "journal", CreateTable);
        _clock = clock ?? TimeProvider.System;
        _insert = $"INSERT INTO {_database.QualifiedTable} (persistence_id, sequence_nr, created, manifest, payload, tags) VALUES ($1, $2, $3, $4, $5, $6)";
    }

    public string Schema => _database.Schema;

    public async Task AppendAsync(PersistenceId persistenceId, IReadOnlyList<JournalWrite> events, CancellationToken cancellationToken = default)
    {
        JournalArguments.ValidateBatch(persistenceId, events);
        var created = _clock.GetUtcNow().UtcTicks;
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Without an explicit transaction, Npgsql sends the whole batch before one Sync, and
        // PostgreSQL runs it as one implicit transaction: a failing row rolls back all of them.
        await using var batch = new NpgsqlBatch(connection);
        foreach (var write in events)
        {
            var command = new NpgsqlBatchCommand(_insert);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = write.SequenceNr });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = created });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.Manifest });
            command.Parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = write.Payload, NpgsqlDbType = NpgsqlDbType.Bytea });
            command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = JournalArguments.EncodeTags(write.Tags), NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(command);
        }
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The error names neither the batch command nor (with details redacted, Npgsql's
            // default) the key: ask which of the batch's numbers is taken.
            var taken = await FirstTakenAsync(connection, persistenceId, events, cancellationToken).ConfigureAwait(false);
            throw new JournalConflictException(persistenceId, taken ?? events[0].SequenceNr, e);
        }
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
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM {_database.QualifiedTable}
            WHERE persistence_id = $1 AND sequence_nr >= $2 AND sequence_nr <= $3 AND NOT deleted
            ORDER BY sequence_nr LIMIT $4
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = max });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return JournalArguments.ReadEntry(reader, persistenceId);
        }
    }

    public async Task<long> ReadHighestSequenceNrAsync(PersistenceId persistenceId, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"SELECT COALESCE(MAX(sequence_nr), 0) FROM {_database.QualifiedTable} WHERE persistence_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task DeleteToAsync(PersistenceId persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        persistenceId.EnsureValid(nameof(persistenceId));
        ArgumentOutOfRangeException.ThrowIfNegative(toSequenceNr);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // One batch, one implicit transaction: mark up to toSequenceNr deleted, then drop all of
        // it but the stream's highest row, which keeps the highest sequence number (and the fence).
        await using var batch = new NpgsqlBatch(connection);
        var table = _database.QualifiedTable;
        var mark = new NpgsqlBatchCommand($"UPDATE {table} SET deleted = TRUE WHERE persistence_id = $1 AND sequence_nr <= $2 AND NOT deleted");
        var drop = new NpgsqlBatchCommand($"""
            DELETE FROM {table} WHERE persistence_id = $1 AND sequence_nr <= $2
              AND sequence_nr < (SELECT MAX(sequence_nr) FROM {table} WHERE persistence_id = $1)
            """);
        foreach (var command in (NpgsqlBatchCommand[])[mark, drop])
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toSequenceNr });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task<long?> FirstTakenAsync(NpgsqlConnection connection, PersistenceId persistenceId, IReadOnlyList<JournalWrite> events, CancellationToken cancellationToken)
    {
        var sequenceNrs = new long[events.Count];
        for (var i = 0; i < sequenceNrs.Length; i++)
        {
            sequenceNrs[i] = events[i].SequenceNr;
        }
        await using var command = new NpgsqlCommand(
            $"SELECT MIN(sequence_nr) FROM {_database.QualifiedTable} WHERE persistence_id = $1 AND sequence_nr = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId.Value });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = sequenceNrs });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long taken ? taken : null;
    }

    private async IAsyncEnumerable<JournalEntry> ReadByOrderingAsync(
        string? tagKey, long fromOrdering, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (max == 0)
        {
            yield break;
        }
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var tagFilter = tagKey is null ? "" : "AND strpos(tags, $3) > 0";
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM {_database.QualifiedTable}
            WHERE ordering > $1 AND NOT deleted {tagFilter}
            ORDER BY ordering LIMIT $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromOrdering });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = max });
        if (tagKey is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tagKey });
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        string? lastId = null;
        var lastPersistenceId = default(PersistenceId);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
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
