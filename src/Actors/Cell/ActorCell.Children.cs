using Actors.Core;

namespace Actors.Cell;

internal sealed partial class ActorCell
{
    // Children may be created from any thread (system.ActorOf creates children of the user
    // guardian), so the container is guarded; it is never touched on a hot path.
    private readonly Lock _childrenLock = new();
    private readonly Dictionary<string, LocalActorRef> _children = new(StringComparer.Ordinal);
    private long _nextChildName;

    // Children this actor asked to stop that have not stopped yet: a restart waits for these
    // only, so children a PreRestart keeps survive into the fresh instance. Touched only on the
    // actor's thread (Stop is a context method, child deaths arrive as system messages).
    private readonly HashSet<IActorRef> _stoppingChildren = [];

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is not null && name.StartsWith('$'))
        {
            throw new ArgumentException($"Actor name '{name}' must not start with '$': that prefix is reserved for generated names.", nameof(name));
        }
        var dispatcher = System.Dispatchers.Lookup(props.Dispatcher);
        LocalActorRef child;
        lock (_childrenLock)
        {
            if (_state is CellState.Terminating or CellState.Terminated)
            {
                throw new InvalidOperationException($"Actor {SelfRef.Path} is stopping and cannot create children.");
            }
            name ??= "$" + Convert.ToString(++_nextChildName, 16);
            var path = SelfRef.Path.Child(name);
            if (_children.ContainsKey(name))
            {
                throw new InvalidOperationException($"Actor name '{name}' is not unique under {SelfRef.Path}.");
            }
            child = new LocalActorRef(System, path, props, dispatcher, SelfRef);
            _children.Add(name, child);
        }
        child.Cell.Start();
        return child;
    }

    public IActorRef Child(string name)
    {
        lock (_childrenLock)
        {
            return _children.TryGetValue(name, out var child) ? child : Nobody.Instance;
        }
    }

    public IReadOnlyList<IActorRef> GetChildren()
    {
        lock (_childrenLock)
        {
            return [.. _children.Values];
        }
    }

    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (FindChild(actor.Path.Name) is { } child && child.Equals(actor))
        {
            _stoppingChildren.Add(child);
        }
        ((ActorRefBase)actor).SendSystemMessage(SystemMessage.Terminate.Instance);
    }

    /// <summary>Forgets a stopped child; true when it was ours.</summary>
    private bool RemoveChild(IActorRef child)
    {
        lock (_childrenLock)
        {
            var name = child.Path.Name;
            return _children.TryGetValue(name, out var existing) && existing.Equals(child) && _children.Remove(name);
        }
    }

    private bool HasChildren
    {
        get
        {
            lock (_childrenLock)
            {
                return _children.Count > 0;
            }
        }
    }

    private void StopChildren()
    {
        foreach (var child in GetChildren())
        {
            Stop(child);
        }
    }

    /// <summary>Resolves a child path element by element (used to find an actor by its path).</summary>
    internal LocalActorRef? FindChild(string name)
    {
        lock (_childrenLock)
        {
            return _children.GetValueOrDefault(name);
        }
    }
}
