using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Actors.Core;

namespace Actors.Persistence;

/// <summary>
/// The journal and snapshot store of one <see cref="ActorSystem"/>, as Akka's persistence
/// extension: <see cref="Get"/> makes them from config <c>actors.persistence</c> the first time
/// it is asked, or a test hands its own to <see cref="Register"/> before the first persistent
/// actor starts. One instance per system, kept as long as the system is.
/// </summary>
/// <remarks>
/// From a namespace that ends in <c>.Persistence</c> the name <c>Persistence</c> means that
/// namespace: use an alias (<c>using PersistenceExtension = Actors.Persistence.Persistence;</c>).
/// </remarks>
public sealed class Persistence
{
    private static readonly ConditionalWeakTable<ActorSystem, Persistence> s_instances = new();
    private static readonly Lock s_lock = new();

    private readonly ConcurrentDictionary<Assembly, bool> _registeredAssemblies = new();
    private readonly ActorSystem _system;

    private Persistence(ActorSystem system, IJournal journal, ISnapshotStore snapshotStore, PersistenceSettings settings)
    {
        _system = system;
        Journal = journal;
        SnapshotStore = snapshotStore;
        Settings = settings;
    }

    public IJournal Journal { get; }

    public ISnapshotStore SnapshotStore { get; }

    public PersistenceSettings Settings { get; }

    /// <summary>
    /// The extension of <paramref name="system"/>; the first call makes the journal and snapshot
    /// store its config names (they are disposed when the system terminates). Opening the
    /// database happens on first use, not here.
    /// </summary>
    /// <exception cref="ArgumentException">The config names no usable journal.</exception>
    public static Persistence Get(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (s_instances.TryGetValue(system, out var existing))
        {
            return existing;
        }
        lock (s_lock)
        {
            if (s_instances.TryGetValue(system, out existing))
            {
                return existing;
            }
            var settings = PersistenceSettings.FromConfig(system.Config);
            var (journal, snapshots) = Create(settings);
            var persistence = new Persistence(system, journal, snapshots, settings);
            s_instances.Add(system, persistence);
            system.WhenTerminated.ContinueWith(
                static (_, state) => ((Persistence)state!).DisposeStoresAsync(),
                persistence,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return persistence;
        }
    }

    /// <summary>
    /// Makes <paramref name="system"/> use <paramref name="journal"/> and
    /// <paramref name="snapshotStore"/> (tests, embedding). The caller keeps owning them and
    /// disposes them after the system terminated. Call it before <see cref="Get"/> is first called.
    /// </summary>
    /// <param name="system">The system whose persistent actors use them.</param>
    /// <param name="journal">The journal; the caller keeps owning it.</param>
    /// <param name="snapshotStore">The snapshot store; the caller keeps owning it.</param>
    /// <param name="snapshotEvery">Overrides <c>actors.persistence.snapshot-every</c>.</param>
    /// <exception cref="InvalidOperationException">The system already has its journal.</exception>
    public static Persistence Register(ActorSystem system, IJournal journal, ISnapshotStore snapshotStore, int? snapshotEvery = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(snapshotStore);
        lock (s_lock)
        {
            if (s_instances.TryGetValue(system, out _))
            {
                throw new InvalidOperationException($"Actor system {system.Name} already has its journal: register one before the first persistent actor starts.");
            }
            var settings = PersistenceSettings.FromConfig(system.Config);
            if (snapshotEvery is { } every)
            {
                settings = settings with { SnapshotEvery = every };
                settings.Validate();
            }
            var persistence = new Persistence(system, journal, snapshotStore, settings);
            s_instances.Add(system, persistence);
            return persistence;
        }
    }

    /// <summary>
    /// Registers the <see cref="Serialization.ManifestAttribute"/> types of the assembly that
    /// defines a persistent actor, so its events and snapshots deserialize on recovery even
    /// before this system serialized one. Once per assembly.
    /// </summary>
    internal void RegisterManifests(Type actorType)
    {
        var assembly = actorType.Assembly;
        if (_registeredAssemblies.TryAdd(assembly, true))
        {
            _system.Serialization.RegisterAssembly(assembly);
        }
    }

    private static (IJournal Journal, ISnapshotStore Snapshots) Create(PersistenceSettings settings) => settings.Journal switch
    {
        PersistenceSettings.PostgresJournal => (
            new PostgresJournal(settings.PostgresConnectionString, settings.PostgresSchema),
            new PostgresSnapshotStore(settings.PostgresConnectionString, settings.PostgresSchema)),
        _ => (new SqliteJournal(settings.SqlitePath), new SqliteSnapshotStore(settings.SqlitePath)),
    };

    private async Task DisposeStoresAsync()
    {
        try
        {
            await Journal.DisposeAsync().ConfigureAwait(false);
            await SnapshotStore.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            PersistenceLog.StoreDisposeFailed(_system.Log, _system.Name, e);
        }
    }
}
