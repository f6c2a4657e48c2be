namespace Nodes.Tests.Persistence;

/// <summary>What hocon/reference.conf and hocon/postgres.conf say about the journal, as our parser resolves them.</summary>
public sealed class PersistenceConfigTests
{
    [Fact]
    public void By_default_journal_and_snapshots_are_akka_persistence_sql_on_graph_db_in_the_data_dir()
    {
        var config = PersistenceTestConfig.Ours("/srv/data");

        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("akka.persistence.snapshot-store.sql", config.GetString("akka.persistence.snapshot-store.plugin"));
        foreach (var store in new[] { "journal.sql", "snapshot-store.sql", "query.journal.sql" })
        {
            Assert.Equal("SQLite.MS", config.GetString($"akka.persistence.{store}.provider-name"));
            Assert.Equal("Data Source=/srv/data/graph.db", config.GetString($"akka.persistence.{store}.connection-string"));
        }
        Assert.True(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        Assert.True(config.GetBoolean("akka.persistence.snapshot-store.sql.auto-initialize"));
    }

    [Fact]
    public void Postgres_conf_moves_both_stores_to_postgresql_tables_of_their_own()
    {
        var config = PersistenceTestConfig.Ours("/srv/data", "akka.persistence.journal.sql.connection-string = \"Host=db\"", PersistenceTestConfig.PostgresConf());

        foreach (var store in new[] { "journal.sql", "snapshot-store.sql", "query.journal.sql" })
        {
            Assert.Equal("PostgreSQL.15", config.GetString($"akka.persistence.{store}.provider-name"));
            Assert.Equal("Host=db", config.GetString($"akka.persistence.{store}.connection-string"));
        }
        Assert.Equal("akka_journal", config.GetString("akka.persistence.journal.sql.default.journal.table-name"));
        Assert.Equal("akka_journal", config.GetString("akka.persistence.query.journal.sql.default.journal.table-name"));
        Assert.Equal("akka_snapshot", config.GetString("akka.persistence.snapshot-store.sql.default.snapshot.table-name"));
    }
}
