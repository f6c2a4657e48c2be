using Microsoft.Data.Sqlite;

namespace Actors.Persistence;

/// <summary>
/// One SQLite file as the journal or the snapshot store uses it: a single writer connection
/// (WAL mode, <c>synchronous = FULL</c>, so a committed append survives a crash of the process or
/// of the machine), serialized by a semaphore, and pooled reader connections that read in
/// parallel with it. The file and its directory are created, with the schema given, on
/// first use.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite runs every command synchronously (its async methods complete
/// synchronously), so journal calls do their I/O on the calling thread. Other processes on the
/// same file are handled by SQLite's locks: writes use <c>BEGIN IMMEDIATE</c> and wait up to the
/// command timeout for a busy file.
/// </remarks>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _schema;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    private SqliteConnection? _writer;
    private volatile bool _ready;
    private bool _disposed;

    public SqliteDatabase(string path, string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _schema = schema;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Runs <paramref name="write"/> on the writer connection, one writer at a time.</summary>
    public async Task<T> WriteAsync<T, TState>(TState state, Func<SqliteConnection, TState, T> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return write(OpenWriter(), state);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// A command on the writer connection kept for reuse (its statement stays prepared), made by
    /// <paramref name="create"/> the first time. Only inside <see cref="WriteAsync"/>; disposed with the database.
    /// </summary>
    public SqliteCommand Prepared(string key, Func<SqliteConnection, SqliteCommand> create)
    {
        var writer = _writer ?? throw new InvalidOperationException("Prepared commands are only for use inside WriteAsync.");
        if (!_prepared.TryGetValue(key, out var command))
        {
            _prepared[key] = command = create(writer);
        }
        return command;
    }

    /// <summary>A new (pooled) connection for reading; the caller disposes it.</summary>
    public async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            // The first reader may come before any writer: make sure the file and tables exist.
            await WriteAsync(0, static (_, _) => 0, cancellationToken).ConfigureAwait(false);
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var command in _prepared.Values)
            {
                command.Dispose();
            }
            _prepared.Clear();
            _writer?.Dispose();
            _writer = null;
            // Close the pooled readers too, so the file can be moved or deleted once we are done.
            using var pooled = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The writer connection; opens it (and makes the schema) on first use. Under the write lock.</summary>
    private SqliteConnection OpenWriter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_writer is { } open)
        {
            return open;
        }
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // journal_mode is stored in the file; synchronous holds for this connection, the only writer.
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;" + _schema;
            command.ExecuteNonQuery();
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        _writer = connection;
        _ready = true;
        return connection;
    }
}
