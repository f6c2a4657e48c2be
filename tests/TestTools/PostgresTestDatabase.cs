using Npgsql;

namespace TestTools;

/// <summary>
/// The PostgreSQL server of the tests: the Npgsql connection string in <c>ACTORS_TEST_POSTGRES</c>
/// (<c>source tests/services/postgres.sh</c> starts a local server and sets it). A test class
/// works in a schema of its own, made before its actor system starts and dropped after.
/// </summary>
public static class PostgresTestDatabase
{
    public const string EnvironmentVariable = "ACTORS_TEST_POSTGRES";

    public const string SkipReason =
        "SKIPPED: PostgreSQL not available. Set ACTORS_TEST_POSTGRES to an Npgsql connection string (source tests/services/postgres.sh starts a local server and sets it).";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? value : null;

    public static string NewSchema() => $"test_{Guid.NewGuid():N}";

    public static void CreateSchema(string schema) => Execute($"CREATE SCHEMA \"{schema}\"");

    public static void DropSchema(string schema) => Execute($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");

    public static List<string> Strings(string sql)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }
        return values;
    }

    /// <summary>Runs <paramref name="sql"/> with <paramref name="parameters"/> as <c>@p0</c>, <c>@p1</c>, ...</summary>
    public static void Execute(string sql, params object[] parameters)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters.AddWithValue($"p{i}", parameters[i]);
        }
        command.ExecuteNonQuery();
    }

    private static NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString ?? throw new InvalidOperationException(SkipReason));
        connection.Open();
        return connection;
    }
}
