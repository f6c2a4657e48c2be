using Npgsql;

namespace Actors.Tests.Persistence;

/// <summary>
/// The PostgreSQL server the tests use: the connection string in <c>ACTORS_TEST_POSTGRES</c>
/// (tests/services/postgres.sh starts a local server and sets it). Each test gets its own
/// schema, dropped when the test ends, so tests run in parallel without seeing each other.
/// </summary>
internal static class PostgresTestDatabase
{
    public const string EnvironmentVariable = "ACTORS_TEST_POSTGRES";

    public const string SkipReason = "PostgreSQL not available: set ACTORS_TEST_POSTGRES (tests/run.sh starts a local server via tests/services/postgres.sh)";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : null;

    /// <summary>A fresh schema name; the stores create it on first use.</summary>
    public static string NewSchema() => $"test_{Guid.NewGuid():N}";

    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
