using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using Actors.Serialization;
using Nodes.Lifecycle;
using Nodes.Runtime;
using Npgsql;

namespace Host.Demo.Cluster;

/// <summary>
/// The cluster demo's PostgreSQL: a schema of its own that holds the graph's shared journal
/// (its hosts' connection string names it as their search path), read back at the end to check
/// that every scheduled unref closed its node exactly once, and dropped unless --keep.
/// </summary>
public sealed class DemoJournal
{
    private const string HowToStartOne = "`source tests/services/postgres.sh` starts a local one and sets ACTORS_TEST_POSTGRES, or pass --postgres CONNSTRING";

    private static readonly string UnrefScheduledManifest = typeof(UnrefScheduled).GetCustomAttribute<ManifestAttribute>()!.Manifest;
    private static readonly string NodeClosedManifest = typeof(NodeClosed).GetCustomAttribute<ManifestAttribute>()!.Manifest;

    private readonly string _connectionString;
    private readonly string _table;

    private DemoJournal(string connectionString, string schema, string table)
    {
        _connectionString = connectionString;
        Schema = schema;
        _table = table;
    }

    /// <summary>The schema the demo made for this run.</summary>
    public string Schema { get; }

    /// <summary>The connection string for the hosts: the one given, with the demo's schema as search path (where Akka.Persistence.Sql makes its tables).</summary>
    public string HostConnectionString => new NpgsqlConnectionStringBuilder(_connectionString) { SearchPath = Schema }.ConnectionString;

    /// <summary>
    /// Checks that PostgreSQL answers at <paramref name="connectionString"/> and makes a schema for
    /// the run; the journal's events are in <paramref name="table"/> there. No connection string,
    /// a malformed one or a server that does not answer throws a <see cref="DemoSetupException"/>
    /// saying how to get one.
    /// </summary>
    public static async Task<DemoJournal> CreateAsync(string? connectionString, string table)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new DemoSetupException($"the cluster demo needs PostgreSQL for the graph's shared journal, and none is configured: {HowToStartOne}");
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new DemoSetupException($"--postgres: not an Npgsql connection string ({e.Message})", e);
        }
        var journal = new DemoJournal(connectionString, $"actors_demo_{Guid.NewGuid():N}"[..24], table);
        try
        {
            // A short connect timeout: a server that is not there should say so at once.
            await ExecuteAsync($"CREATE SCHEMA \"{journal.Schema}\"", new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5 }.ConnectionString);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            throw new DemoSetupException(
                $"the cluster demo needs PostgreSQL for the graph's shared journal, and none answers at Host={builder.Host};Port={builder.Port};Database={builder.Database} ({e.Message}): {HowToStartOne}", e);
        }
        return journal;
    }

    /// <summary>For every node the journal holds an unref or a close of: how many unrefs were scheduled and how many closes persisted.</summary>
    public async Task<IReadOnlyDictionary<string, (int Scheduled, int Closed)>> UnrefsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT manifest, message FROM \"{Schema}\".\"{_table}\" WHERE persistence_id = @id AND manifest IN (@scheduled, @closed)", connection);
        command.Parameters.AddWithValue("id", GraphOwner.GraphPersistenceId);
        command.Parameters.AddWithValue("scheduled", UnrefScheduledManifest);
        command.Parameters.AddWithValue("closed", NodeClosedManifest);
        var events = new List<(string Manifest, string Node)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var manifest = reader.GetString(0);
            var message = (byte[])reader["message"];
            var node = manifest == UnrefScheduledManifest
                ? JsonSerializer.Deserialize<UnrefScheduled>(message, JsonSerializerOptions.Web)!.Node
                : JsonSerializer.Deserialize<NodeClosed>(message, JsonSerializerOptions.Web)!.Node;
            events.Add((manifest, node));
        }
        return events.GroupBy(e => e.Node).ToDictionary(
            g => g.Key,
            g => (g.Count(e => e.Manifest == UnrefScheduledManifest), g.Count(e => e.Manifest == NodeClosedManifest)));
    }

    /// <summary>Drops the run's schema and the journal in it.</summary>
    public Task DropAsync() => ExecuteAsync($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", _connectionString);

    private static async Task ExecuteAsync(string sql, string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
