namespace Actors.Persistence;

/// <summary>Argument checks shared by the snapshot stores.</summary>
internal static class SnapshotArguments
{
    public static void Validate(SnapshotEntry snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.PersistenceId.EnsureValid(nameof(snapshot));
        if (snapshot.SequenceNr < 0)
        {
            throw new ArgumentException($"The snapshot of '{snapshot.PersistenceId}' has a negative sequence number {snapshot.SequenceNr}.", nameof(snapshot));
        }
        if (string.IsNullOrEmpty(snapshot.Manifest))
        {
            throw new ArgumentException($"The snapshot of '{snapshot.PersistenceId}' at {snapshot.SequenceNr} has no manifest.", nameof(snapshot));
        }
    }
}
