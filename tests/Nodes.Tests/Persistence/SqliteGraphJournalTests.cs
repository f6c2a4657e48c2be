using System.Text;
using Actors.Serialization;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Nodes.Persistence;
using Nodes.Tests.Disk;
using Xunit.Abstractions;

namespace Nodes.Tests.Persistence;

/// <summary>Akka.Persistence.Sql on the embedded default of reference.conf: SQLite, graph.db in the data dir, WAL mode.</summary>
public sealed class SqliteGraphJournalTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private readonly TempDataDir _dir;

    public SqliteGraphJournalTests(ITestOutputHelper output)
        : this(new TempDataDir(), output)
    {
    }

    private SqliteGraphJournalTests(TempDataDir dir, ITestOutputHelper output)
        : base(Prepared(dir), output: output)
    {
        _dir = dir;
    }

    private string DatabaseFile => Path.Combine(_dir.DataDir, "graph.db");

    void IDisposable.Dispose()
    {
        Dispose();
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact]
    public Task Persisted_events_and_a_snapshot_are_recovered_by_the_next_actor_system() =>
        GraphJournalScenarios.Persisted_events_and_snapshot_are_recovered_by_the_next_system(this, "block-graph");

    [Fact]
    public Task A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops() =>
        GraphJournalScenarios.A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops(this, "block-graph");

    [Fact]
    public async Task The_database_stores_manifests_and_the_serializer_id_never_a_clr_type_name()
    {
        await GraphJournalScenarios.Persisted_events_and_snapshot_are_recovered_by_the_next_system(this, "block-graph");

        using var connection = Open();
        Assert.Equal(
            ["child-attached.v1", "child-replaced.v1", "export-added.v1", "node-added.v1", "node-released.v1", "nodes-moved.v1", "unref-scheduled.v1"],
            Strings(connection, "SELECT DISTINCT manifest FROM journal ORDER BY manifest"));
        Assert.Equal([$"{ManifestSerializer.Id}"], Strings(connection, "SELECT DISTINCT identifier FROM journal"));
        Assert.Equal([$"graph.compacted-history.v2 {ManifestSerializer.Id}"], Strings(connection, "SELECT manifest || ' ' || serializer_id FROM snapshot"));
        var bytes = Encoding.UTF8.GetString([.. File.ReadAllBytes(DatabaseFile), .. File.Exists(DatabaseFile + "-wal") ? File.ReadAllBytes(DatabaseFile + "-wal") : []]);
        Assert.Contains("node-added.v1", bytes);
        Assert.DoesNotContain("Nodes.Lifecycle", bytes);
        Assert.DoesNotContain("Culture=", bytes);
    }

    [Fact]
    public async Task The_tables_are_made_on_first_start_in_a_wal_mode_file_with_a_unique_stream_position()
    {
        await GraphJournalScenarios.A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops(this, "block-graph");

        using var connection = Open();
        Assert.Equal(["journal", "snapshot", "tags"], Strings(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"));
        Assert.Equal(["wal"], Strings(connection, "PRAGMA journal_mode"));
        Assert.Contains(
            Strings(connection, "SELECT sql FROM sqlite_master WHERE tbl_name = 'journal' AND sql IS NOT NULL"),
            sql => sql.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase) && sql.Contains("persistence_id") && sql.Contains("sequence_number"));
    }

    [Fact]
    public void Preparing_makes_the_directory_and_a_wal_mode_file_and_may_be_repeated()
    {
        var file = Path.Combine(_dir.Root, "new", "dir", "graph.db");

        SqliteJournalFile.Prepare($"Data Source={file}");
        SqliteJournalFile.Prepare($"Data Source={file}");

        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        Assert.Equal(["wal"], Strings(connection, "PRAGMA journal_mode"));
    }

    private static Config Prepared(TempDataDir dir)
    {
        var ours = PersistenceTestConfig.Ours(dir.DataDir);
        // As the host does before it starts the actor system.
        SqliteJournalFile.Prepare(ours.GetString("akka.persistence.journal.sql.connection-string"));
        return PersistenceTestConfig.ToAkka(ours).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={DatabaseFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return values;
    }
}
