using System.Collections.Immutable;

namespace Actors.Persistence;

/// <summary>
/// One event to append: its sequence number in its stream, its stable manifest, its serialized
/// bytes and its tags (for <see cref="IJournal.ReadByTagAsync"/>).
/// </summary>
/// <param name="SequenceNr">Positive; within one append, strictly increasing.</param>
/// <param name="Manifest">The stable manifest of the event type (<see cref="Serialization.ManifestAttribute"/>), never a CLR name.</param>
/// <param name="Payload">The serialized event. The journal reads it during the append and keeps no reference afterwards.</param>
/// <param name="Tags">Non-empty strings without ';'. Default or empty: no tags.</param>
public readonly record struct JournalWrite(long SequenceNr, string Manifest, ReadOnlyMemory<byte> Payload, ImmutableArray<string> Tags = default);
