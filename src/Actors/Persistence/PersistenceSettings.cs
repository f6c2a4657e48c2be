using HoconConfig = Actors.Config.Config;

namespace Actors.Persistence;

/// <summary>
/// Which journal and snapshot store a system uses: config <c>actors.persistence</c> (see
/// <c>hocon/reference.conf</c>). Relative SQLite paths are relative to the working directory.
/// </summary>
public sealed record PersistenceSettings
{
    public const string SqliteJournal = "sqlite";
    public const string PostgresJournal = "postgres";

    /// <summary><c>sqlite</c> (embedded, the default) or <c>postgres</c> (the cluster's).</summary>
    public string Journal { get; init; } = SqliteJournal;

    /// <summary>The SQLite file holding the journal and snapshot tables.</summary>
    public string SqlitePath { get; init; } = "data/journal.db";

    /// <summary>An Npgsql connection string; required when <see cref="Journal"/> is <c>postgres</c>.</summary>
    public string PostgresConnectionString { get; init; } = "";

    /// <summary>The PostgreSQL schema of the journal and snapshot tables.</summary>
    public string PostgresSchema { get; init; } = "public";

    /// <summary>A persistent actor that provides a snapshot state saves one every this many events; 0 never.</summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>Reads <c>actors.persistence</c> from a resolved system config; missing keys keep their defaults.</summary>
    /// <exception cref="ArgumentException">A value is out of range or a required one is missing.</exception>
    public static PersistenceSettings FromConfig(HoconConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var defaults = new PersistenceSettings();
        var settings = new PersistenceSettings
        {
            Journal = config.GetString("actors.persistence.journal", defaults.Journal).Trim().ToLowerInvariant(),
            SqlitePath = config.GetString("actors.persistence.sqlite.path", defaults.SqlitePath),
            PostgresConnectionString = config.GetString("actors.persistence.postgres.connection-string", defaults.PostgresConnectionString),
            PostgresSchema = config.GetString("actors.persistence.postgres.schema", defaults.PostgresSchema),
            SnapshotEvery = config.GetInt("actors.persistence.snapshot-every", defaults.SnapshotEvery),
        };
        settings.Validate();
        return settings;
    }

    /// <summary>Throws when the settings cannot make a journal.</summary>
    public void Validate()
    {
        switch (Journal)
        {
            case SqliteJournal when string.IsNullOrWhiteSpace(SqlitePath):
                throw new ArgumentException("actors.persistence.sqlite.path is empty: the SQLite journal needs a file path.");
            case PostgresJournal when string.IsNullOrWhiteSpace(PostgresConnectionString):
                throw new ArgumentException("actors.persistence.journal = postgres needs actors.persistence.postgres.connection-string (or the environment variable ACTORS_POSTGRES).");
            case SqliteJournal or PostgresJournal:
                break;
            default:
                throw new ArgumentException($"actors.persistence.journal = '{Journal}': expected '{SqliteJournal}' or '{PostgresJournal}'.");
        }
        if (SnapshotEvery < 0)
        {
            throw new ArgumentException($"actors.persistence.snapshot-every = {SnapshotEvery}: expected 0 (never) or a positive number of events.");
        }
    }
}
