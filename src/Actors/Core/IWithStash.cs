namespace Actors.Core;

/// <summary>Implemented by actors that stash; the runtime sets <see cref="Stash"/> before the constructor body runs its first handler.</summary>
public interface IWithStash
{
    IStash Stash { get; set; }
}
