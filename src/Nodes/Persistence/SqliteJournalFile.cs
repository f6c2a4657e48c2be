using Microsoft.Data.Sqlite;

namespace Nodes.Persistence;

/// <summary>
/// Gets the embedded journal's SQLite file ready before Akka.Persistence.Sql opens it: makes its
/// directory and puts the file in WAL mode. Neither is a connection-string option of
/// Microsoft.Data.Sqlite, and linq2db creates only the tables.
/// </summary>
/// <remarks>
/// WAL mode is stored in the file, so this is needed once; it is harmless on every start.
/// With WAL, readers (recovery, queries) do not block the journal's writers and a commit costs
/// one sync of the log instead of syncing a rollback journal and the database. Durability is
/// unchanged: <c>synchronous</c> stays at SQLite's default, FULL.
/// </remarks>
public static class SqliteJournalFile
{
    /// <summary>
    /// Creates the directory of the database file that <paramref name="connectionString"/>
    /// names (the <c>akka.persistence.journal.sql.connection-string</c>) and switches the file,
    /// created when missing, to WAL mode. Does nothing for an in-memory database.
    /// </summary>
    /// <exception cref="InvalidOperationException">SQLite kept another journal mode (the file is on a file system without shared memory).</exception>
    public static void Prepare(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:")
        {
            return;
        }
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }
        // A connection of its own, not pooled: the file is not held open after this.
        builder.Pooling = false;
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{builder.DataSource}: SQLite kept journal mode '{mode}' instead of WAL.");
        }
    }
}
