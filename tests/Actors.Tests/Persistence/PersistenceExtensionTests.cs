using Actors.Core;
using Actors.Persistence;
using HoconConfig = Actors.Config.Config;
using PersistenceExtension = Actors.Persistence.Persistence;

namespace Actors.Tests.Persistence;

public sealed class PersistenceExtensionTests
{
    [Fact]
    public void Without_configuration_the_embedded_SQLite_journal_in_the_data_dir_is_used()
    {
        var settings = PersistenceSettings.FromConfig(HoconConfig.Empty);

        Assert.Equal(new PersistenceSettings(), settings);
        Assert.Equal(("sqlite", "data/journal.db", 1000), (settings.Journal, settings.SqlitePath, settings.SnapshotEvery));
    }

    [Fact]
    public void Settings_that_cannot_make_a_journal_are_rejected_with_the_key_to_fix()
    {
        Assert.Contains("actors.persistence.postgres.connection-string",
            Assert.Throws<ArgumentException>(() => new PersistenceSettings { Journal = "postgres" }.Validate()).Message);
        Assert.Contains("'cassandra'",
            Assert.Throws<ArgumentException>(() => new PersistenceSettings { Journal = "cassandra" }.Validate()).Message);
        Assert.Contains("snapshot-every",
            Assert.Throws<ArgumentException>(() => new PersistenceSettings { SnapshotEvery = -1 }.Validate()).Message);
    }

    [Fact]
    public async Task Get_makes_one_extension_per_system_and_opens_nothing_until_used()
    {
        var system = ActorSystem.Create("extension");
        try
        {
            var persistence = PersistenceExtension.Get(system);

            Assert.Same(persistence, PersistenceExtension.Get(system));
            Assert.IsType<SqliteJournal>(persistence.Journal);
            Assert.IsType<SqliteSnapshotStore>(persistence.SnapshotStore);
            Assert.False(File.Exists(((SqliteJournal)persistence.Journal).Path));
            Assert.Throws<InvalidOperationException>(() => PersistenceExtension.Register(system, persistence.Journal, persistence.SnapshotStore));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Systems_get_their_own_extension_and_concurrent_first_calls_agree()
    {
        var first = ActorSystem.Create("first");
        var second = ActorSystem.Create("second");
        try
        {
            var calls = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => PersistenceExtension.Get(first))));

            Assert.All(calls, call => Assert.Same(calls[0], call));
            Assert.NotSame(calls[0], PersistenceExtension.Get(second));
        }
        finally
        {
            await first.Terminate();
            await second.Terminate();
        }
    }
}
