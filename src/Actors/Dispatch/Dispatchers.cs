using System.Collections.Concurrent;
using Actors.Config;

namespace Actors.Dispatch;

/// <summary>The dispatchers configured under <c>actors.dispatchers</c>, made on first use.</summary>
public sealed class Dispatchers(Config.Config section)
{
    private readonly ConcurrentDictionary<string, Dispatcher> _dispatchers = new(StringComparer.Ordinal);

    /// <summary>The dispatcher with id <paramref name="id"/>; throws naming the id when it is not configured.</summary>
    public Dispatcher Lookup(string id) => _dispatchers.GetOrAdd(id, Create);

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
