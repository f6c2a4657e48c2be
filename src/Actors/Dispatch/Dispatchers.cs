using System.Collections.Concurrent;
using Actors.Config;

namespace Actors.Dispatch;

/// <summary>The dispatchers configured under <c>actors.dispatchers</c>, made on first use.</summary>
public sealed class Dispatchers(Config.Config section)
{
    private readonly ConcurrentDictionary<string, Dispatcher> _dispatchers = new(StringComparer.Ordinal);

    /// <summary>The dispatcher with id <paramref name="id"/>; throws naming the id when it is not configured.</summary>
    public Dispatcher Lookup(string id) => _dispatchers.GetOrAdd(id, Create);

    /// <summary>Adds a dispatcher made at run time (an IoThread's event loop); its id must be new.</summary>
    internal void Register(Dispatcher dispatcher)
    {
        if (!_dispatchers.TryAdd(dispatcher.Id, dispatcher))
        {
            throw new ArgumentException($"Dispatcher '{dispatcher.Id}' already exists.", nameof(dispatcher));
        }
    }

    /// <summary>Forgets a run-time dispatcher whose event loop stopped.</summary>
    internal void Unregister(Dispatcher dispatcher) => _dispatchers.TryRemove(new KeyValuePair<string, Dispatcher>(dispatcher.Id, dispatcher));

    internal void Shutdown()
    {
        foreach (var dispatcher in _dispatchers.Values)
        {
            dispatcher.Shutdown();
        }
    }

    private Dispatcher Create(string id)
    {
        var config = section.GetConfig(id);
        if (config.IsEmpty)
        {
            throw new ArgumentException($"Dispatcher '{id}' is not configured: add actors.dispatchers.{id} {{ type = thread-pool | pinned }}.", nameof(id));
        }
        var type = config.GetString("type");
        var throughput = config.GetInt("throughput");
        return type switch
        {
            "thread-pool" => new ThreadPoolDispatcher(id, throughput),
            "pinned" => new PinnedDispatcher(id, throughput),
            _ => throw new ConfigException($"actors.dispatchers.{id}.type: expected thread-pool or pinned, got '{type}'."),
        };
    }
}
