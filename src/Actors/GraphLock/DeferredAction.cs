namespace Actors.GraphLock;

/// <summary>Work scheduled inside a write section to run after its unlock.</summary>
internal sealed record DeferredAction(string Description, Func<DeferredContext, Task> Run);
