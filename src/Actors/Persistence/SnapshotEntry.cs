namespace Actors.Persistence;

/// <summary>A stored snapshot of a persistent actor's state, taken after <paramref name="SequenceNr"/>.</summary>
/// <param name="PersistenceId">The stream whose state it is.</param>
/// <param name="SequenceNr">The last event folded into the state; replay resumes after it.</param>
/// <param name="Created">When it was taken (UTC).</param>
/// <param name="Manifest">The stable manifest of the state's type.</param>
/// <param name="Payload">The serialized state. On save the store reads it only until the task
/// completes; on load it is a fresh array the caller owns.</param>
public sealed record SnapshotEntry(PersistenceId PersistenceId, long SequenceNr, DateTime Created, string Manifest, ReadOnlyMemory<byte> Payload);
