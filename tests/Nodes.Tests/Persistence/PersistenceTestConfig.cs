using Actors.Serialization;
using Akka.Persistence.Sql;
using OurConfig = Actors.Config;

namespace Nodes.Tests.Persistence;

/// <summary>
/// Akka configs for the persistence tests, made the way the host makes its own: our HOCON
/// parser resolves <c>hocon/reference.conf</c> (and any layer over it, e.g.
/// <c>hocon/postgres.conf</c>), the <c>akka</c> subtree goes to Akka, and Akka.Persistence.Sql's
/// defaults are its fallback. A stand-in for <c>Actors.Config.AkkaConfig.ToAkka</c>.
/// </summary>
internal static class PersistenceTestConfig
{
    /// <summary>The engine's config with <c>host.data-dir</c> = <paramref name="dataDir"/> and <paramref name="layers"/> (HOCON, first wins) over reference.conf.</summary>
    public static OurConfig.Config Ours(string dataDir, params string[] layers)
    {
        var config = OurConfig.ConfigFactory.ParseString($"host.data-dir = \"{dataDir}\"", "test");
        foreach (var layer in layers)
        {
            config = config.WithFallback(OurConfig.ConfigFactory.ParseString(layer, "test layer"));
        }
        return config.WithFallback(Reference()).Resolve();
    }

    /// <summary>The Akka config of <see cref="Ours"/>, over Akka.Persistence.Sql's defaults.</summary>
    public static Akka.Configuration.Config Akka(string dataDir, params string[] layers) =>
        ToAkka(Ours(dataDir, layers)).WithFallback(SqlPersistence.DefaultConfiguration);

    /// <summary>The <c>akka</c> subtree of <paramref name="config"/> as Akka's own config.</summary>
    public static Akka.Configuration.Config ToAkka(OurConfig.Config config) =>
        global::Akka.Configuration.ConfigurationFactory.ParseString("akka {\n" + config.GetConfig("akka").Render() + "\n}");

    /// <summary>hocon/postgres.conf, copied beside the tests.</summary>
    public static string PostgresConf() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Assets", "postgres.conf"));

    private static OurConfig.Config Reference()
    {
        using var stream = typeof(ManifestSerializer).Assembly.GetManifestResourceStream("reference.conf")
            ?? throw new InvalidOperationException("The Actors assembly embeds no reference.conf.");
        using var reader = new StreamReader(stream);
        return OurConfig.ConfigFactory.ParseString(reader.ReadToEnd(), "reference.conf");
    }
}
