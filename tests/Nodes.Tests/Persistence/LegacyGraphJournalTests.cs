using TestTools;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Nodes.Graph;
using Nodes.Lifecycle;
using Nodes.Tests.Disk;

namespace Nodes.Tests.Persistence;

/// <summary>
/// The journal written before Akka.NET, read from a data dir (fixture:
/// Assets/legacy-data/journal.db, see the README.md beside it).
/// </summary>
public sealed class LegacyGraphJournalTests() : Akka.TestKit.Xunit2.TestKit(PersistenceTestConfig.Akka("/nonexistent")), IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "Assets", "legacy-data", LegacyGraphJournal.FileName);

    private readonly TempDataDir _dir = new();

    void IDisposable.Dispose()
    {
        Dispose();
        _dir.Dispose();
    }

    /// <summary>
    /// The fixture's graph:
    /// <code>
    ///   export e0 "disk0" ─→ cor0 ─file→ raw0 ─file→ thr0 ─file→ file0     (iothread1)
    ///   file1                                                            (iothread0)
    ///   null0: released, pending unref                                   (iothread0)
    ///   raw1: deleted and closed
    /// </code>
    /// </summary>
    [Fact]
    public void The_old_journal_rebuilds_the_same_nodes_exports_and_pending_unrefs()
    {
        var history = LegacyGraphJournal.ReadSqlite(Fixture, Sys.Serialization);

        var graph = new BlockGraph(_ => null);
        foreach (var e in history!)
        {
            graph.Apply(e);
        }

        Assert.Equal(
            [
                "cor0 copy-on-read [] host1/iothread1 monitor children=[file:raw0]",
                "file0 file [filename=disk0.img] host1/iothread1 monitor children=[]",
                "file1 file [filename=scratch.img] host1/iothread0 monitor children=[]",
                "null0 null-co [size=64M] host1/iothread0 released children=[]",
                "raw0 raw [offset=4096,size=1M] host1/iothread1 monitor children=[file:thr0]",
                "thr0 throttle [bps-total=10M,iops-total=200] host1/iothread1 monitor children=[file:file0]",
            ],
            graph.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Select(Describe));
        Assert.Equal([new BlockExport("e0", "cor0", "disk0", Writable: true)], graph.Exports);
        Assert.Equal(["null0"], graph.PendingUnrefs);
    }

    [Fact]
    public void The_history_is_the_latest_snapshot_then_the_events_after_it()
    {
        var history = LegacyGraphJournal.ReadSqlite(Fixture, Sys.Serialization)!;

        // The snapshot (at sequence number 8) is the graph's compact history then: 5 nodes, 2 edges, 1 export.
        Assert.Equal(
            [typeof(NodeAdded), typeof(NodeAdded), typeof(NodeAdded), typeof(NodeAdded), typeof(NodeAdded), typeof(ChildAttached), typeof(ChildAttached), typeof(ExportAdded)],
            history.Take(8).Select(e => e.GetType()));
        Assert.Equal(new NodeClosed("raw1"), history[^3]);
        Assert.Equal(
            [
                typeof(NodesMoved), typeof(NodeAdded), typeof(ChildAttached), typeof(ChildReplaced), typeof(NodeAdded), typeof(ChildAttached),
                typeof(ExportRetargeted), typeof(ExportAdded), typeof(ExportRemoved), typeof(NodeReleased), typeof(UnrefScheduled),
                typeof(ChildDetached), typeof(NodeClosed), typeof(NodeReleased), typeof(UnrefScheduled),
            ],
            history.Skip(8).Select(e => e.GetType()));
    }

    [Fact]
    public void Reading_leaves_the_old_file_and_its_directory_as_they_were()
    {
        var dataDir = Path.Combine(_dir.Root, "legacy");
        Directory.CreateDirectory(dataDir);
        var file = Path.Combine(dataDir, LegacyGraphJournal.FileName);
        File.Copy(Fixture, file);
        var before = SHA256.HashData(File.ReadAllBytes(file));

        Assert.NotNull(LegacyGraphJournal.ReadSqlite(file, Sys.Serialization));

        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(file)));
        Assert.Equal([file], Directory.GetFiles(dataDir));
    }

    [Fact]
    public void A_data_dir_without_an_old_journal_has_no_history()
    {
        Assert.Null(LegacyGraphJournal.ReadSqlite(Path.Combine(_dir.DataDir, LegacyGraphJournal.FileName), Sys.Serialization));
    }

    [Fact]
    public void An_old_journal_without_the_graph_stream_has_no_history()
    {
        Assert.Null(LegacyGraphJournal.ReadSqlite(Fixture, Sys.Serialization, persistenceId: "someone-else"));
    }

    [Fact]
    public void A_sqlite_file_without_the_old_tables_has_no_history()
    {
        var file = _dir.PathOf("graph.db");
        using (var connection = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE journal_of_someone_else (x INTEGER)";
            command.ExecuteNonQuery();
        }

        Assert.Null(LegacyGraphJournal.ReadSqlite(file, Sys.Serialization));
    }

    [Fact]
    public void A_file_that_is_no_database_is_refused_naming_it()
    {
        var file = _dir.PathOf(LegacyGraphJournal.FileName);
        File.WriteAllText(file, "this is not a SQLite database, but it is long enough to have a header or two");

        var error = Assert.Throws<InvalidDataException>(() => LegacyGraphJournal.ReadSqlite(file, Sys.Serialization));

        Assert.Contains(file, error.Message);
    }

    [PostgresFact]
    public void The_old_cluster_journal_on_postgresql_gives_the_same_history_as_the_sqlite_file()
    {
        var schema = PostgresTestDatabase.NewSchema();
        try
        {
            CopyFixtureToPostgres(schema);

            var fromPostgres = LegacyGraphJournal.ReadPostgres(PostgresTestDatabase.ConnectionString!, schema, Sys.Serialization);
            var fromSqlite = LegacyGraphJournal.ReadSqlite(Fixture, Sys.Serialization);

            Assert.Equal(Json(fromSqlite!), Json(fromPostgres!));
            Assert.Null(LegacyGraphJournal.ReadPostgres(PostgresTestDatabase.ConnectionString!, schema, Sys.Serialization, persistenceId: "someone-else"));
        }
        finally
        {
            PostgresTestDatabase.DropSchema(schema);
        }
    }

    [PostgresFact]
    public void A_postgresql_schema_without_the_old_tables_has_no_history()
    {
        var schema = PostgresTestDatabase.NewSchema();
        PostgresTestDatabase.CreateSchema(schema);
        try
        {
            Assert.Null(LegacyGraphJournal.ReadPostgres(PostgresTestDatabase.ConnectionString!, schema, Sys.Serialization));
        }
        finally
        {
            PostgresTestDatabase.DropSchema(schema);
        }
    }

    /// <summary>The old PostgresJournal/PostgresSnapshotStore tables (as their DDL was), filled with the fixture's rows.</summary>
    private static void CopyFixtureToPostgres(string schema)
    {
        PostgresTestDatabase.CreateSchema(schema);
        PostgresTestDatabase.Execute($"""
            CREATE TABLE "{schema}".journal (
                ordering BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                persistence_id VARCHAR(255) NOT NULL, sequence_nr BIGINT NOT NULL, created BIGINT NOT NULL,
                manifest TEXT NOT NULL, payload BYTEA NOT NULL, tags TEXT NULL, deleted BOOLEAN NOT NULL DEFAULT FALSE,
                UNIQUE (persistence_id, sequence_nr));
            CREATE TABLE "{schema}".snapshot (
                persistence_id VARCHAR(255) NOT NULL, sequence_nr BIGINT NOT NULL, created BIGINT NOT NULL,
                manifest TEXT NOT NULL, payload BYTEA NOT NULL, PRIMARY KEY (persistence_id, sequence_nr));
            """);
        using var sqlite = new SqliteConnection($"Data Source={Fixture};Mode=ReadOnly;Pooling=False");
        sqlite.Open();
        foreach (var table in new[] { "journal", "snapshot" })
        {
            using var select = sqlite.CreateCommand();
            select.CommandText = $"SELECT persistence_id, sequence_nr, created, manifest, payload FROM {table}";
            using var rows = select.ExecuteReader();
            while (rows.Read())
            {
                PostgresTestDatabase.Execute(
                    $"INSERT INTO \"{schema}\".{table} (persistence_id, sequence_nr, created, manifest, payload) VALUES (@p0, @p1, @p2, @p3, @p4)",
                    rows.GetString(0), rows.GetInt64(1), rows.GetInt64(2), rows.GetString(3), rows.GetFieldValue<byte[]>(4));
            }
        }
    }

    private List<string> Json(IEnumerable<IGraphEvent> events) =>
        [.. events.Select(e => System.Text.Encoding.UTF8.GetString(Sys.Serialization.FindSerializerFor(e).ToBinary(e)))];

    private static string Describe(GraphNode n) =>
        $"{n.Name} {n.Driver} [{string.Join(",", n.Options.Select(o => $"{o.Key}={o.Value}"))}] {n.Host}/{n.IoThread} "
        + $"{(n.MonitorOwned ? "monitor" : "released")} children=[{string.Join(",", n.Children.OrderBy(c => c.Key).Select(c => $"{c.Key}:{c.Value}"))}]";
}
