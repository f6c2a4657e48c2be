using Actors.Cell;

namespace Actors.Core;

/// <summary>
/// An actor whose behaviour is a list of typed handlers, tried in the order registered
/// (Akka's <c>ReceiveActor</c>). Register handlers in the constructor or in <see cref="Become(Action)"/>.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private HandlerSet _handlers = new();
    private HandlerSet? _building;

    protected sealed override bool Receive(object message) => _handlers.TryHandle(message);

    /// <summary>Handles every <typeparamref name="T"/>.</summary>
    protected void Receive<T>(Action<T> handler) => Add(new Handler<T>(null, handler));

    /// <summary>Handles the <typeparamref name="T"/>s that satisfy <paramref name="shouldHandle"/>.</summary>
    protected void Receive<T>(Predicate<T> shouldHandle, Action<T> handler) => Add(new Handler<T>(shouldHandle, handler));

    /// <summary>Handles a <typeparamref name="T"/> asynchronously: later messages wait until the task completes,
    /// and code after each <c>await</c> runs in the actor's context.</summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler) => Add(new AsyncHandler<T>(null, handler));

    protected void ReceiveAsync<T>(Predicate<T> shouldHandle, Func<T, Task> handler) => Add(new AsyncHandler<T>(shouldHandle, handler));

    /// <summary>Handles whatever no earlier handler took.</summary>
    protected void ReceiveAny(Action<object> handler) => Add(new Handler<object>(null, handler));

    protected void ReceiveAnyAsync(Func<object, Task> handler) => Add(new AsyncHandler<object>(null, handler));

    /// <summary>Replaces the behaviour with the handlers <paramref name="configure"/> registers.</summary>
    protected void Become(Action configure) => Context.Become(Build(configure).TryHandle);

    /// <summary>Pushes the handlers <paramref name="configure"/> registers; <see cref="IActorContext.Unbecome"/> returns.</summary>
    protected void BecomeStacked(Action configure) => Context.BecomeStacked(Build(configure).TryHandle);

    private HandlerSet Build(Action configure)
    {
        var set = new HandlerSet();
        _building = set;
        try
        {
            configure();
        }
        finally
        {
            _building = null;
        }
        return set;
    }

    private void Add(IHandler handler) => (_building ?? _handlers).Add(handler);

    private interface IHandler
    {
        bool TryHandle(object message);
    }

    private sealed class HandlerSet
    {
        private IHandler[] _items = [];

        public void Add(IHandler handler) => _items = [.. _items, handler];

        public bool TryHandle(object message)
        {
            foreach (var handler in _items)
            {
                if (handler.TryHandle(message))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class Handler<T>(Predicate<T>? shouldHandle, Action<T> action) : IHandler
    {
        public bool TryHandle(object message)
        {
            if (message is not T typed || (shouldHandle is not null && !shouldHandle(typed)))
            {
                return false;
            }
            action(typed);
            return true;
        }
    }

    private sealed class AsyncHandler<T>(Predicate<T>? shouldHandle, Func<T, Task> action) : IHandler
    {
        public bool TryHandle(object message)
        {
            if (message is not T typed || (shouldHandle is not null && !shouldHandle(typed)))
            {
                return false;
            }
            ActorCell.Current!.RunTask(() => action(typed));
            return true;
        }
    }
}
