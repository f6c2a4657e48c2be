using System.Text.RegularExpressions;
using Npgsql;

namespace Actors.Persistence;

/// <summary>
/// A PostgreSQL database as the journal or the snapshot store uses it: a pooled
/// <see cref="NpgsqlDataSource"/> and one table, created (with its schema) on first use when
/// missing. Creation runs under a transaction-scoped advisory lock, so hosts starting together
/// do not race on <c>CREATE TABLE</c>; when the table exists no DDL runs, so a role without
/// CREATE rights works against a prepared database.
/// </summary>
internal sealed partial class PostgresDatabase : IAsyncDisposable
{
    // Any constant works; it only has to be the same for every process creating these tables.
    private const long SchemaLockKey = 0x4163746F72734A4C; // "ActorsJL"

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _createTable;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _ready;

    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="schema">The schema holding the table: a plain identifier (letters, digits, '_').</param>
    /// <param name="table">The table's name.</param>
    /// <param name="createTable">DDL with <c>{table}</c> where the qualified table name goes.</param>
    public PostgresDatabase(string connectionString, string schema, string table, string createTable)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        if (!Identifier().IsMatch(schema))
        {
            throw new ArgumentException($"PostgreSQL schema '{schema}' must be a plain identifier: a letter or '_', then letters, digits or '_', at most 63.", nameof(schema));
        }
        Schema = schema;
        _table = table;
        QualifiedTable = $"\"{schema}\".{table}";
        _createTable = createTable.Replace("{table}", QualifiedTable, StringComparison.Ordinal);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Schema { get; }

    /// <summary>The table name to put into SQL: <c>"schema".table</c>.</summary>
    public string QualifiedTable { get; }

    /// <summary>An open pooled connection (the table exists); the caller disposes it.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        }
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return;
            }
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (!await TableExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey})", connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    command.CommandText = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)";
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Schema });
                    var schemaExists = (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                    command.Parameters.Clear();
                    // Only the DDL that is needed: CREATE SCHEMA checks the database's CREATE right even with IF NOT EXISTS.
                    command.CommandText = (schemaExists ? "" : $"CREATE SCHEMA IF NOT EXISTS \"{Schema}\";") + _createTable;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            _ready = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private async Task<bool> TableExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"\"{Schema}\".{_table}" });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
