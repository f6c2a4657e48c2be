namespace Actors.Persistence;

/// <summary>
/// The last message a persistent actor's recovery handlers get: the snapshot and every stored
/// event were applied, and commands (held back until now) start flowing.
/// </summary>
public sealed class RecoveryCompleted
{
    public static readonly RecoveryCompleted Instance = new();

    private RecoveryCompleted()
    {
    }
}
