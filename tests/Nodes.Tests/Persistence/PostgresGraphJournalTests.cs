using TestTools;
using Actors.Serialization;
using Akka.Configuration;
using Xunit.Abstractions;

namespace Nodes.Tests.Persistence;

/// <summary>
/// Akka.Persistence.Sql on PostgreSQL, configured by hocon/postgres.conf over reference.conf,
/// in a schema of this test's own (the tables are those of postgres.conf).
/// </summary>
public sealed class PostgresGraphJournalTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private readonly string _schema;

    public PostgresGraphJournalTests(ITestOutputHelper output)
        : this(PostgresTestDatabase.NewSchema(), output)
    {
    }

    private PostgresGraphJournalTests(string schema, ITestOutputHelper output)
        : base(Configure(schema), output: output)
    {
        _schema = schema;
    }

    void IDisposable.Dispose()
    {
        Dispose();
        if (PostgresTestDatabase.ConnectionString is not null)
        {
            PostgresTestDatabase.DropSchema(_schema);
        }
    }

    [PostgresFact]
    public Task Persisted_events_and_a_snapshot_are_recovered_by_the_next_actor_system() =>
        GraphJournalScenarios.Persisted_events_and_snapshot_are_recovered_by_the_next_system(this, "block-graph");

    [PostgresFact]
    public Task A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops() =>
        GraphJournalScenarios.A_second_writer_of_a_stream_fails_on_the_taken_sequence_number_and_stops(this, "block-graph");

    [PostgresFact]
    public async Task The_tables_of_postgres_conf_store_manifests_and_the_serializer_id_never_a_clr_type_name()
    {
        await GraphJournalScenarios.Persisted_events_and_snapshot_are_recovered_by_the_next_system(this, "block-graph");

        Assert.Equal(
            ["akka_journal", "akka_snapshot", "akka_tags"],
            PostgresTestDatabase.Strings($"SELECT table_name FROM information_schema.tables WHERE table_schema = '{_schema}' ORDER BY table_name"));
        Assert.Equal(
            ["child-attached.v1", "child-replaced.v1", "export-added.v1", "node-added.v1", "node-released.v1", "nodes-moved.v1", "unref-scheduled.v1"],
            PostgresTestDatabase.Strings($"SELECT DISTINCT manifest FROM \"{_schema}\".akka_journal ORDER BY manifest"));
        Assert.Equal([$"{ManifestSerializer.Id}"], PostgresTestDatabase.Strings($"SELECT DISTINCT identifier FROM \"{_schema}\".akka_journal"));
        Assert.Equal(
            [$"graph.compacted-history.v2 {ManifestSerializer.Id}"],
            PostgresTestDatabase.Strings($"SELECT manifest || ' ' || serializer_id FROM \"{_schema}\".akka_snapshot"));
    }

    private static Config Configure(string schema)
    {
        if (PostgresTestDatabase.ConnectionString is not { } connectionString)
        {
            return Config.Empty;
        }
        PostgresTestDatabase.CreateSchema(schema);
        return PersistenceTestConfig.Akka(
            "/nonexistent",
            $"""
            akka.persistence.journal.sql.connection-string = "{connectionString}"
            akka.persistence.journal.sql.default.schema-name = "{schema}"
            akka.persistence.snapshot-store.sql.default.schema-name = "{schema}"
            """,
            PersistenceTestConfig.PostgresConf());
    }
}
